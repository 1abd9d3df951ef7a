//! arXiv OAI-PMH harvesting (`ListRecords`), page by page, resumable.
//!
//! The first request names the harvest (`metadataPrefix`, `set`, `from`,
//! `until`); each following one sends only `verb` and the `resumptionToken`
//! of the page before, as the protocol requires. After the caller has stored
//! a page and said so ([`Harvester::page_stored`]), the next token is saved
//! as a checkpoint in the store, under a key naming the harvest. A harvester
//! started later for the same harvest resumes from that token; a page fetched
//! but not yet stored when the process died is simply fetched again (storing
//! merges, so that is harmless). When the list is complete the checkpoint is
//! cleared. Tokens expire on the server: if a saved one is refused
//! (`badResumptionToken`), the harvest starts over from the beginning.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDate;
use dailypapers_store::Store;
use url::Url;

use super::{Page, with_query};
use crate::SourceError;
use crate::http::{FetchError, PoliteClient};
use crate::oai;

/// The metadata format to harvest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MetadataPrefix {
    /// arXiv's own format (`arXiv`): authors split, license, categories.
    #[default]
    ArXiv,
    /// Dublin Core (`oai_dc`).
    OaiDc,
}

impl MetadataPrefix {
    /// The value sent as `metadataPrefix`.
    pub fn as_str(&self) -> &'static str {
        match self {
            MetadataPrefix::ArXiv => "arXiv",
            MetadataPrefix::OaiDc => "oai_dc",
        }
    }
}

impl fmt::Display for MetadataPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MetadataPrefix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "arXiv" | "arxiv" => Ok(MetadataPrefix::ArXiv),
            "oai_dc" => Ok(MetadataPrefix::OaiDc),
            _ => Err(format!(
                "unknown metadata prefix {s:?}: expected arXiv or oai_dc"
            )),
        }
    }
}

/// What to harvest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Harvest {
    /// An OAI set, e.g. `cs` or `physics:hep-th`; `None` for everything.
    pub set: Option<String>,
    /// First datestamp, inclusive.
    pub from: Option<NaiveDate>,
    /// Last datestamp, inclusive.
    pub until: Option<NaiveDate>,
    pub prefix: MetadataPrefix,
}

impl Harvest {
    /// The checkpoint key of this harvest:
    /// `oai:{set}:{prefix}:{from}:{until}`, empty where not given.
    pub fn checkpoint_key(&self) -> String {
        let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        format!(
            "oai:{}:{}:{}:{}",
            self.set.as_deref().unwrap_or(""),
            self.prefix,
            day(self.from),
            day(self.until)
        )
    }

    /// The parameters of the first request.
    fn first_request(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![
            ("verb", "ListRecords".to_string()),
            ("metadataPrefix", self.prefix.to_string()),
        ];
        if let Some(set) = &self.set {
            params.push(("set", set.clone()));
        }
        if let Some(from) = self.from {
            params.push(("from", from.to_string()));
        }
        if let Some(until) = self.until {
            params.push(("until", until.to_string()));
        }
        params
    }
}

/// Where a harvest stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Position {
    /// At the beginning: the next request names the harvest.
    Start,
    /// The next request sends this token.
    Token(String),
    /// The list is complete.
    Complete,
}

/// Harvests one [`Harvest`], page by page; see the module documentation.
pub struct Harvester {
    client: PoliteClient,
    base: Url,
    store: Arc<dyn Store>,
    harvest: Harvest,
    key: String,
    position: Position,
    /// Where the harvest will stand once the page last returned is stored.
    pending: Option<Position>,
    /// The checkpoint this harvester started from, if any.
    resumed_from: Option<String>,
    /// Whether the next request sends the token read from the checkpoint.
    using_saved_token: bool,
    /// Whether a refused saved token made the harvest start over.
    restarted: bool,
}

impl Harvester {
    /// A harvester for `harvest` on the endpoint at `base` (normally
    /// [`ARXIV_OAI_URL`](super::ARXIV_OAI_URL)). If the store holds a
    /// checkpoint for the same harvest, it resumes from there.
    pub async fn start(
        client: PoliteClient,
        base: Url,
        store: Arc<dyn Store>,
        harvest: Harvest,
    ) -> Result<Harvester, FetchError> {
        let key = harvest.checkpoint_key();
        let saved = store
            .checkpoint(&key)
            .await?
            .filter(|token| !token.trim().is_empty());
        let position = match &saved {
            Some(token) => {
                tracing::info!(checkpoint = %key, "resuming the OAI-PMH harvest from the saved resumptionToken {token}");
                Position::Token(token.clone())
            }
            None => Position::Start,
        };
        Ok(Harvester {
            client: client.with_service_message(service_message),
            base,
            store,
            harvest,
            key,
            position,
            pending: None,
            using_saved_token: saved.is_some(),
            resumed_from: saved,
            restarted: false,
        })
    }

    /// The saved resumptionToken this harvester resumed from, if it did.
    pub fn resumed_from(&self) -> Option<&str> {
        self.resumed_from.as_deref()
    }

    /// Whether the saved token was refused and the harvest started over.
    pub fn restarted(&self) -> bool {
        self.restarted
    }

    /// The store key of this harvest's checkpoint.
    pub fn checkpoint_key(&self) -> &str {
        &self.key
    }

    /// Fetches the next page; `None` once the list is complete.
    ///
    /// Store the page, then call [`page_stored`](Self::page_stored) so that
    /// the checkpoint moves past it. (Calling `next_page` again without that
    /// moves on without saving: a later run would fetch the page again.)
    pub async fn next_page(&mut self) -> Result<Option<Page>, FetchError> {
        if let Some(next) = self.pending.take() {
            self.position = next;
        }
        loop {
            let params = match &self.position {
                Position::Complete => return Ok(None),
                Position::Start => self.harvest.first_request(),
                Position::Token(token) => vec![
                    ("verb", "ListRecords".to_string()),
                    ("resumptionToken", token.clone()),
                ],
            };
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let url = with_query(&self.base, &params);
            let body = self.client.get_text(&url).await?;
            let from_saved_token = std::mem::take(&mut self.using_saved_token);
            let page = match oai::parse(&body) {
                Ok(page) => page,
                Err(source) => {
                    let code = match &source {
                        SourceError::Service(_) => oai_error(&body).map(|e| e.code),
                        _ => None,
                    };
                    match code.as_deref() {
                        Some("badResumptionToken") if from_saved_token => {
                            tracing::warn!(
                                checkpoint = %self.key,
                                "the saved resumptionToken has expired on the server; starting the harvest over from the beginning"
                            );
                            self.store.set_checkpoint(&self.key, None).await?;
                            self.position = Position::Start;
                            self.restarted = true;
                            continue;
                        }
                        _ => {
                            return Err(FetchError::Document {
                                url: url.to_string(),
                                source,
                            });
                        }
                    }
                }
            };
            let next = match page.resumption_token {
                Some(token) if !token.trim().is_empty() => {
                    let token = token.trim().to_string();
                    if self.position == Position::Token(token.clone()) {
                        return Err(FetchError::Document {
                            url: url.to_string(),
                            source: SourceError::Unexpected(format!(
                                "the server answered resumptionToken {token} with the same token again"
                            )),
                        });
                    }
                    Position::Token(token)
                }
                _ => Position::Complete,
            };
            self.pending = Some(next);
            return Ok(Some(Page {
                origin: url.to_string(),
                listings: page.listings,
                total: page.complete_list_size,
            }));
        }
    }

    /// Confirms that the page last returned by [`next_page`](Self::next_page)
    /// is stored: saves the next resumptionToken as the checkpoint, or clears
    /// the checkpoint if that page was the last.
    pub async fn page_stored(&mut self) -> Result<(), FetchError> {
        let Some(next) = self.pending.take() else {
            return Ok(());
        };
        match &next {
            Position::Token(token) => {
                self.store.set_checkpoint(&self.key, Some(token)).await?;
            }
            Position::Complete | Position::Start => {
                self.store.set_checkpoint(&self.key, None).await?;
            }
        }
        self.position = next;
        Ok(())
    }
}

impl fmt::Debug for Harvester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Harvester")
            .field("base", &self.base.as_str())
            .field("harvest", &self.harvest)
            .field("key", &self.key)
            .field("position", &self.position)
            .field("resumed_from", &self.resumed_from)
            .finish_non_exhaustive()
    }
}

/// An OAI-PMH `<error code="…">message</error>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OaiError {
    /// The protocol's error code, e.g. `badResumptionToken`, `noRecordsMatch`.
    pub code: String,
    pub message: String,
}

impl fmt::Display for OaiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(&self.code)
        } else {
            write!(f, "{} ({})", self.message, self.code)
        }
    }
}

/// The message of an OAI-PMH `<error>` answer (any other body: a JSON error).
fn service_message(body: &str) -> Option<String> {
    let head = body.get(..body.len().min(1000)).unwrap_or(body);
    if head.contains("<OAI-PMH") {
        oai_error(body).map(|e| e.to_string())
    } else {
        crate::http::json_error_message(body)
    }
}

/// The first `<error>` of an OAI-PMH response, if it is one.
pub fn oai_error(xml: &str) -> Option<OaiError> {
    let root = crate::xml::parse(xml, "an OAI-PMH response").ok()?;
    let error = root.child("error")?;
    Some(OaiError {
        code: error.attr("code").unwrap_or_default().to_string(),
        message: error
            .text()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    })
}
