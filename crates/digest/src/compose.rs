//! Composing a digest: the papers each subscriber gets, the message, and
//! the outbox rows.
//!
//! The trending digests (no saved search) list the top trending papers of
//! the moment with why each is there, the same for every subscriber of a
//! frequency; a saved-search digest lists the papers matching the query
//! published in the last week (two for the weekly digest) that the
//! subscription was never sent. A subscriber with nothing new gets no
//! message.
//!
//! Subscribers are read a page at a time (memory does not grow with their
//! number) and each page's messages are queued in one transaction with the
//! papers they list ([`Subscriptions::queue_digest`]). The digest is
//! recorded when composing starts and marked composed at the end; a
//! composer that dies in between leaves it to the next one, which composes
//! it again from the start: the outbox skips the messages already queued
//! (one per digest and subscription), and their Message-IDs are the same,
//! so no subscriber gets two. Composing runs under the store lease
//! [`crate::LEASE`], renewed after every page, so two servers never
//! compose at once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use dailypapers_domain::Listing;
use dailypapers_mail::{Draft, compose};
use dailypapers_store::Store;
use dailypapers_store::outbox::NewMail;
use dailypapers_store::subscriptions::{DigestMail, Subscription, digest_batch};

use crate::schedule::{Frequency, digest_name};
use crate::templates::{DigestView, PaperItem, Site, Templates};
use crate::{DigestError, Matcher};

/// What goes into digests.
#[derive(Clone, Debug)]
pub struct DigestOptions {
    /// The site's name and public address (every link starts with it).
    pub site: Site,
    /// The `From` of every digest.
    pub from: String,
    /// Trending papers in a daily digest.
    pub daily_papers: usize,
    /// Trending papers in a weekly digest.
    pub weekly_papers: usize,
    /// Papers at most in a saved-search digest.
    pub matches: usize,
    /// Subscribers read, and messages queued, at a time.
    pub page: u32,
    /// This process's name in the lease.
    pub holder: String,
    /// How long the lease lasts between pages.
    pub lease_ttl: Duration,
}

impl Default for DigestOptions {
    fn default() -> Self {
        DigestOptions {
            site: Site {
                name: "Daily Papers".into(),
                url: "http://localhost:8080".into(),
            },
            from: "Daily Papers <noreply@localhost>".into(),
            daily_papers: 10,
            weekly_papers: 20,
            matches: 20,
            page: 500,
            holder: dailypapers_store::process_holder(),
            lease_ttl: Duration::from_secs(300),
        }
    }
}

/// What composing a digest did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub name: String,
    /// Composed before: nothing was done.
    pub already_composed: bool,
    /// Another process holds the lease: nothing was done.
    pub busy: bool,
    /// Active subscribers of the frequency.
    pub subscribers: u64,
    /// Messages queued now.
    pub queued: u64,
    /// Messages queued by an earlier, interrupted try.
    pub queued_before: u64,
    /// Subscribers with nothing new (no message).
    pub nothing_new: u64,
}

/// Composes digests (see the module docs).
pub struct Composer {
    store: Arc<dyn Store>,
    matcher: Option<Arc<dyn Matcher>>,
    templates: Arc<Templates>,
    options: DigestOptions,
}

impl Composer {
    /// `matcher` finds saved searches' papers; without one, saved-search
    /// subscribers get nothing.
    pub fn new(
        store: Arc<dyn Store>,
        matcher: Option<Arc<dyn Matcher>>,
        templates: Arc<Templates>,
        options: DigestOptions,
    ) -> Self {
        Composer {
            store,
            matcher,
            templates,
            options,
        }
    }

    pub fn options(&self) -> &DigestOptions {
        &self.options
    }

    /// Composes the digest of `frequency` for `date` unless it was composed
    /// or another process is composing it.
    pub async fn compose(
        &self,
        frequency: Frequency,
        date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Report, DigestError> {
        let name = digest_name(frequency, date);
        let mut report = Report {
            name: name.clone(),
            ..Report::default()
        };
        if let Some(d) = self.store.digest(&name).await?
            && d.composed_at.is_some()
        {
            report.already_composed = true;
            return Ok(report);
        }
        let (holder, ttl) = (&self.options.holder, self.options.lease_ttl);
        if !self.store.acquire_lease(crate::LEASE, holder, ttl).await? {
            report.busy = true;
            return Ok(report);
        }
        let result = self.compose_held(frequency, date, now, report).await;
        if let Err(e) = self.store.release_lease(crate::LEASE, holder).await {
            tracing::warn!(error = %e, "cannot give the digest lease back");
        }
        result
    }

    async fn compose_held(
        &self,
        frequency: Frequency,
        date: NaiveDate,
        now: DateTime<Utc>,
        mut report: Report,
    ) -> Result<Report, DigestError> {
        let clock = Instant::now();
        let name = report.name.clone();
        let record = self
            .store
            .start_digest(&name, frequency.as_str(), now)
            .await?;
        if record.composed_at.is_some() {
            report.already_composed = true;
            return Ok(report);
        }
        report.queued_before = record.recipients;
        let trending = self.trending(frequency).await?;
        let since = date
            - chrono::Days::new(if frequency == Frequency::Weekly {
                14
            } else {
                7
            });
        let day = date.format("%A %-d %B %Y").to_string();
        let mut found: HashMap<String, Arc<Vec<Listing>>> = HashMap::new();
        let mut after = 0;
        loop {
            let page = self
                .store
                .subscribers(frequency.as_str(), after, self.options.page)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            report.subscribers += page.len() as u64;
            if found.len() > 10_000 {
                found.clear();
            }
            let mut lists = Vec::with_capacity(page.len());
            for s in &page {
                let list = if s.query.is_empty() {
                    trending.clone()
                } else {
                    self.matches(&mut found, &s.query, since).await?
                };
                lists.push(list);
            }
            let sent = self.sent_before(&page, &lists).await?;
            let mut mails = Vec::with_capacity(page.len());
            for (s, list) in page.iter().zip(&lists) {
                let papers: Vec<PaperItem> = list
                    .iter()
                    .filter(|(l, _)| !sent.contains(&(s.id, l.paper.id.to_string())))
                    .take(if s.query.is_empty() {
                        usize::MAX
                    } else {
                        self.options.matches
                    })
                    .map(|(l, why)| self.item(l, why))
                    .collect();
                if papers.is_empty() {
                    report.nothing_new += 1;
                    continue;
                }
                mails.push(self.message(&name, frequency, &day, s, papers)?);
            }
            report.queued += self.store.queue_digest(&name, &mails, Utc::now()).await?;
            // Still ours? (A composer stalled past its lease must stop.)
            let (holder, ttl) = (&self.options.holder, self.options.lease_ttl);
            if !self.store.acquire_lease(crate::LEASE, holder, ttl).await? {
                tracing::warn!(digest = %name, "the digest lease was lost; another server goes on");
                report.busy = true;
                return Ok(report);
            }
        }
        self.store.finish_digest(&name, Utc::now()).await?;
        metrics::counter!("dailypapers_digest_messages_total", "frequency" => frequency.as_str())
            .increment(report.queued);
        metrics::histogram!("dailypapers_digest_compose_seconds")
            .record(clock.elapsed().as_secs_f64());
        tracing::info!(
            digest = %name,
            subscribers = report.subscribers,
            queued = report.queued,
            nothing_new = report.nothing_new,
            seconds = clock.elapsed().as_secs_f64(),
            "digest composed"
        );
        Ok(report)
    }

    /// The trending papers a digest of `frequency` lists, with why.
    async fn trending(
        &self,
        frequency: Frequency,
    ) -> Result<Arc<Vec<(Listing, String)>>, DigestError> {
        let n = match frequency {
            Frequency::Daily => self.options.daily_papers,
            Frequency::Weekly => self.options.weekly_papers,
        };
        let top = self.store.trending(0, n as u64).await?;
        Ok(Arc::new(
            top.into_iter().map(|t| (t.listing, t.reason)).collect(),
        ))
    }

    /// The papers of the saved search `query` since `since` (searched once
    /// per digest), with why.
    async fn matches(
        &self,
        found: &mut HashMap<String, Arc<Vec<Listing>>>,
        query: &str,
        since: NaiveDate,
    ) -> Result<Arc<Vec<(Listing, String)>>, DigestError> {
        let listings = match found.get(query) {
            Some(l) => l.clone(),
            None => {
                let l = match &self.matcher {
                    // Some more than a digest shows: those already sent
                    // make room for the next.
                    Some(m) => m
                        .matching(query, since, self.options.matches * 3)
                        .await
                        .map_err(|message| DigestError::Search {
                            query: query.to_string(),
                            message,
                        })?,
                    None => Vec::new(),
                };
                let l = Arc::new(l);
                found.insert(query.to_string(), l.clone());
                l
            }
        };
        let why = |l: &Listing| match l.paper.published_at {
            Some(t) => format!("matches “{query}”, published {}", t.format("%-d %B")),
            None => format!("matches “{query}”"),
        };
        Ok(Arc::new(
            listings.iter().map(|l| (l.clone(), why(l))).collect(),
        ))
    }

    /// Of the papers a page's saved-search subscribers would get, those
    /// they were sent before.
    async fn sent_before(
        &self,
        page: &[Subscription],
        lists: &[Arc<Vec<(Listing, String)>>],
    ) -> Result<HashSet<(u64, String)>, DigestError> {
        let pairs: Vec<(u64, String)> = page
            .iter()
            .zip(lists)
            .filter(|(s, _)| !s.query.is_empty())
            .flat_map(|(s, list)| list.iter().map(|(l, _)| (s.id, l.paper.id.to_string())))
            .collect();
        if pairs.is_empty() {
            return Ok(HashSet::new());
        }
        Ok(self.store.papers_sent(&pairs).await?.into_iter().collect())
    }

    fn item(&self, l: &Listing, why: &str) -> PaperItem {
        let names: Vec<&str> = l
            .paper
            .authors
            .iter()
            .filter(|a| !a.hidden)
            .map(|a| a.name.as_str())
            .collect();
        let authors = if names.len() > 4 {
            format!("{} et al.", names[..3].join(", "))
        } else {
            names.join(", ")
        };
        PaperItem {
            id: l.paper.id.to_string(),
            title: l.paper.title.clone(),
            authors,
            organization: l.organization().map(|o| o.fullname.clone()),
            upvotes: l.upvotes(),
            url: format!("{}/papers/{}", self.options.site.url, l.paper.id),
            why: why.to_string(),
        }
    }

    fn message(
        &self,
        name: &str,
        frequency: Frequency,
        day: &str,
        s: &Subscription,
        papers: Vec<PaperItem>,
    ) -> Result<DigestMail, DigestError> {
        let token: String =
            url::form_urlencoded::byte_serialize(s.unsubscribe_token.as_bytes()).collect();
        let unsubscribe_url = format!("{}/unsubscribe?token={token}", self.options.site.url);
        let rendered = self.templates.render(&DigestView {
            site: &self.options.site,
            frequency: frequency.as_str(),
            date: day,
            query: &s.query,
            recipient: &s.email,
            unsubscribe_url: &unsubscribe_url,
            papers: &papers,
        })?;
        let batch = digest_batch(name, s.id);
        let mailto = format!(
            "mailto:{}?subject=unsubscribe%20{token}",
            address_of(&self.options.from)
        );
        let composed = compose(&Draft {
            from: self.options.from.clone(),
            to: s.email.clone(),
            subject: rendered.subject,
            text: rendered.text,
            html: Some(rendered.html),
            batch: batch.clone(),
            unsubscribe: Some((unsubscribe_url, mailto)),
        })
        .map_err(|e| DigestError::Mail {
            to: s.email.clone(),
            message: e.to_string(),
        })?;
        Ok(DigestMail {
            subscription_id: s.id,
            mail: NewMail {
                batch,
                recipient: composed.recipient,
                message_id: composed.message_id,
                message: composed.bytes,
            },
            papers: papers.into_iter().map(|p| p.id).collect(),
        })
    }
}

/// The address of a `Name <address>` mailbox.
fn address_of(mailbox: &str) -> &str {
    match (mailbox.rfind('<'), mailbox.rfind('>')) {
        (Some(a), Some(b)) if a < b => &mailbox[a + 1..b],
        _ => mailbox.trim(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_mailto_address_is_the_senders() {
        assert_eq!(
            super::address_of("Daily Papers <papers@example.org>"),
            "papers@example.org"
        );
        assert_eq!(
            super::address_of(" papers@example.org "),
            "papers@example.org"
        );
    }
}
