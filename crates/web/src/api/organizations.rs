//! Organisations: a handle, a display name and an avatar, with the papers
//! whose badge names it and its members.
//!
//! - `GET /api/organizations/{name}?p=&limit=`: the organisation, its
//!   members and a page of its papers (newest feed day first);
//! - for admins (anyone else: 403, before anything is read):
//!   `POST /api/organizations` `{name, fullname, avatar?}` makes one;
//!   `POST /api/organizations/{name}/papers` `{paperId}` links a paper to it
//!   and `DELETE /api/organizations/{name}/papers/{id}` takes it away;
//!   `POST /api/organizations/{name}/members` `{username}` adds a member and
//!   `DELETE /api/organizations/{name}/members/{username}` removes one. The
//!   forms on the organisation page post to the `POST` routes, with
//!   `action=remove` to take away.
//!
//! An organisation known only from imported papers (its badge came with
//! them) has a page too; an admin's first change to it stores it. A link is
//! an admin's decision that no import undoes: see
//! `dailypapers_store::contributions`.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use dailypapers_domain::Organization;
use dailypapers_domain::contribution::new_organization;
use dailypapers_store::contributions::LinkRefusal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::hf_json::synthetic_id;
use super::members::PaperItemJson;
use super::votes::Author;
use super::{int_param, json, no_store};
use crate::auth::{Act, Viewer};
use crate::pages::paper::id_from_path;
use crate::{AppError, AppState};

/// The largest page of an organisation's papers.
pub const MAX_LIMIT: u64 = 100;

/// The address of an organisation's page.
pub fn org_href(name: &str) -> String {
    format!("/organizations/{}", path_segment(name))
}

/// `name` percent-encoded as one path segment.
pub fn path_segment(name: &str) -> String {
    url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// An organisation as the API shows it: Hugging Face's `{_id, name, fullname, avatar}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationJson {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    pub fullname: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
}

impl OrganizationJson {
    pub fn of(o: &Organization) -> Self {
        OrganizationJson {
            id: o
                .hf_id
                .clone()
                .unwrap_or_else(|| synthetic_id(&["organization", &o.name])),
            name: o.name.clone(),
            fullname: if o.fullname.is_empty() {
                o.name.clone()
            } else {
                o.fullname.clone()
            },
            avatar: o.avatar.clone(),
        }
    }
}

/// `GET /api/organizations/{name}`.
#[derive(Serialize, ToSchema)]
pub struct OrganizationPage {
    pub organization: OrganizationJson,
    pub members: Vec<Author>,
    /// This page of its papers, newest feed day first.
    pub papers: Vec<PaperItemJson>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewOrganizationBody {
    /// The handle: letters, digits, `-`, `_`, `.`.
    #[serde(default)]
    pub name: String,
    /// The display name.
    #[serde(default)]
    pub fullname: String,
    /// An `http(s)://` image URL.
    #[serde(default)]
    pub avatar: Option<String>,
}

/// What the organisation routes under a name read from a body or a form.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationAction {
    /// The paper to link (`…/papers`).
    #[serde(default, alias = "paper_id")]
    pub paper_id: Option<String>,
    /// The member to add (`…/members`).
    #[serde(default)]
    pub username: Option<String>,
    /// A form's way to take away: `remove`.
    #[serde(default)]
    pub action: Option<String>,
}

/// A paper's link to an organisation, after a change.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaperLinkJson {
    pub organization: String,
    pub paper_id: String,
    /// Whether the paper now shows the organisation's badge.
    pub linked: bool,
}

/// A membership, after a change.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembershipJson {
    pub organization: String,
    pub username: String,
    /// Whether they are now a member.
    pub member: bool,
}

fn only_admins(act_member: &dailypapers_store::community::Member) -> Result<(), AppError> {
    if act_member.is_admin() {
        Ok(())
    } else {
        Err(AppError::forbidden("only admins manage organisations"))
    }
}

/// `POST /api/organizations`: makes an organisation (admins).
#[utoipa::path(post, path = "/api/organizations", operation_id = "create_organization", tag = "contributions",
    request_body(content = NewOrganizationBody, content_type = "application/json"),
    responses((status = 200, body = OrganizationJson), (status = 400), (status = 401), (status = 403), (status = 409)))]
pub async fn create(
    State(state): State<AppState>,
    act: Act<NewOrganizationBody>,
) -> Result<Response, AppError> {
    only_admins(&act.member)?;
    let b = &act.body.value;
    let org = new_organization(&b.name, &b.fullname, b.avatar.as_deref())?;
    if !state
        .store
        .contributions()
        .create_organization(&org)
        .await?
    {
        return Err(AppError::Conflict(format!(
            "name: an organisation named {:?} exists (names are compared without case)",
            org.name
        )));
    }
    tracing::info!(admin = %act.member.username, organization = %org.name, "organisation created");
    if act.body.form {
        return Ok(Redirect::to(&org_href(&org.name)).into_response());
    }
    Ok(no_store(json(&OrganizationJson::of(&org))?))
}

/// The organisation `name`: stored, or known only from its papers' badges.
pub async fn find(state: &AppState, name: &str) -> Result<Option<Organization>, AppError> {
    if let Some(org) = state.store.organization(name).await? {
        return Ok(Some(org));
    }
    let first = state
        .store
        .contributions()
        .organization_papers(name, 0, 1)
        .await?;
    Ok(first
        .first()
        .and_then(|l| l.organization())
        .filter(|o| o.name == name)
        .cloned())
}

/// The organisation `name`, or 404.
async fn found(state: &AppState, name: &str) -> Result<Organization, AppError> {
    find(state, name).await?.ok_or_else(|| {
        AppError::not_found(format!(
            "no organisation {:?} here",
            name.chars().take(100).collect::<String>()
        ))
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    p: Option<String>,
    limit: Option<String>,
}

/// `GET /api/organizations/{*rest}`: one organisation.
#[utoipa::path(get, path = "/api/organizations/{name}", operation_id = "get_organization", tag = "contributions",
    params(("name" = String, Path, description = "the organisation's handle"),
        ("p" = Option<u64>, Query, description = "page number, from 0"),
        ("limit" = Option<u64>, Query, description = "papers per page, 1 to 100 (20)")),
    responses((status = 200, body = OrganizationPage), (status = 400), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    raw: Result<Path<String>, PathRejection>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let Path(name) = raw?;
    let Query(params) = params?;
    if name.contains('/') {
        return Err(AppError::not_found("There is nothing at this address."));
    }
    let page = int_param(
        "p",
        params.p.as_deref(),
        0,
        1_000_000,
        "a page number from 0",
    )?
    .unwrap_or(0);
    let limit = int_param(
        "limit",
        params.limit.as_deref(),
        1,
        MAX_LIMIT,
        "an integer from 1 to 100",
    )?
    .unwrap_or(20);
    let org = found(&state, &name).await?;
    let contributions = state.store.contributions();
    let (members, papers) = tokio::try_join!(
        contributions.organization_members(&org.name),
        contributions.organization_papers(&org.name, page * limit, limit)
    )?;
    json(&OrganizationPage {
        organization: OrganizationJson::of(&org),
        members: members
            .iter()
            .map(|m| Author {
                username: m.username.to_string(),
                display_name: m.display_name.clone(),
            })
            .collect(),
        papers: papers.iter().map(|l| PaperItemJson::of(l, None)).collect(),
    })
}

/// `POST|DELETE /api/organizations/{*rest}`: `{name}/papers[/{id}]` and
/// `{name}/members[/{username}]` (admins).
pub async fn change(
    State(state): State<AppState>,
    method: Method,
    Path(raw): Path<String>,
    act: Act<OrganizationAction>,
) -> Result<Response, AppError> {
    only_admins(&act.member)?;
    let nothing = || AppError::not_found("There is nothing to change at this address.");
    let (name, rest) = raw.split_once('/').ok_or_else(nothing)?;
    let (what, target) = match rest.split_once('/') {
        Some((what, target)) if method == Method::DELETE => (what, Some(target)),
        None => (rest, None),
        Some(_) => return Err(nothing()),
    };
    if !matches!(what, "papers" | "members") {
        return Err(nothing());
    }
    let b = &act.body.value;
    let remove = method == Method::DELETE || b.action.as_deref() == Some("remove");
    let org = found(&state, name).await?;
    // Known only from its papers until now: stored at its first change.
    state
        .store
        .contributions()
        .create_organization(&org)
        .await?;
    let now = Utc::now();
    let contributions = state.store.contributions();
    let body = match what {
        "papers" => {
            let raw_id = target.or(b.paper_id.as_deref()).unwrap_or("").trim();
            if raw_id.is_empty() {
                return Err(AppError::bad_request(
                    "paperId: missing; expected an arXiv id such as 2104.12255",
                ));
            }
            let id =
                id_from_path(raw_id).map_err(|e| AppError::bad_request(format!("paperId: {e}")))?;
            let linked = if remove {
                if !contributions
                    .unlink_paper(&org.name, &id, act.member.id, now)
                    .await?
                {
                    return Err(AppError::not_found(format!(
                        "paper {id} does not show the badge of {}",
                        org.name
                    )));
                }
                false
            } else {
                match contributions
                    .link_paper(&org.name, &id, act.member.id, now)
                    .await?
                {
                    Ok(()) => true,
                    Err(LinkRefusal::NoSuchPaper) => {
                        return Err(AppError::not_found(format!("paper {id} not found")));
                    }
                    Err(_) => return Err(case_clash(&org.name)),
                }
            };
            tracing::info!(admin = %act.member.username, organization = %org.name, paper = %id, linked, "organisation link");
            state.page_changed(&crate::view::paper_href(id.as_str()));
            json(&PaperLinkJson {
                organization: org.name.clone(),
                paper_id: id.to_string(),
                linked,
            })?
        }
        "members" => {
            let username = target.or(b.username.as_deref()).unwrap_or("").trim();
            if username.is_empty() {
                return Err(AppError::bad_request(
                    "username: missing; expected a member's username",
                ));
            }
            let member = super::members::member_named(&state, username).await?;
            if remove {
                if !contributions
                    .remove_organization_member(&org.name, member.id)
                    .await?
                {
                    return Err(AppError::not_found(format!(
                        "@{} is not a member of {}",
                        member.username, org.name
                    )));
                }
            } else if let Err(refusal) = contributions
                .add_organization_member(&org.name, member.id, now)
                .await?
            {
                return Err(match refusal {
                    LinkRefusal::NoSuchMember => {
                        AppError::not_found(format!("no member @{}", member.username))
                    }
                    _ => case_clash(&org.name),
                });
            }
            tracing::info!(admin = %act.member.username, organization = %org.name, member = %member.username, added = !remove, "organisation membership");
            json(&MembershipJson {
                organization: org.name.clone(),
                username: member.username.to_string(),
                member: !remove,
            })?
        }
        _ => return Err(nothing()),
    };
    if act.body.form {
        let to = act
            .body
            .return_to
            .clone()
            .unwrap_or_else(|| org_href(&org.name));
        return Ok(Redirect::to(&to).into_response());
    }
    Ok(no_store(body))
}

/// An organisation known from its papers that cannot be stored, because
/// one whose name differs only in case is.
fn case_clash(name: &str) -> AppError {
    AppError::Conflict(format!(
        "{name} cannot be stored: an organisation whose name differs only in case exists"
    ))
}

/// Documentation of the organisation routes (served by [`change`]).
#[utoipa::path(post, path = "/api/organizations/{name}/papers", tag = "contributions",
    params(("name" = String, Path, description = "the organisation's handle")),
    request_body(content = OrganizationAction, content_type = "application/json"),
    responses((status = 200, body = PaperLinkJson), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)))]
#[allow(dead_code)]
fn link_paper() {}

#[utoipa::path(delete, path = "/api/organizations/{name}/papers/{id}", tag = "contributions",
    params(("name" = String, Path, description = "the organisation's handle"),
        ("id" = String, Path, description = "an arXiv id")),
    responses((status = 200, body = PaperLinkJson), (status = 400), (status = 401), (status = 403), (status = 404)))]
#[allow(dead_code)]
fn unlink_paper() {}

#[utoipa::path(post, path = "/api/organizations/{name}/members", tag = "contributions",
    params(("name" = String, Path, description = "the organisation's handle")),
    request_body(content = OrganizationAction, content_type = "application/json"),
    responses((status = 200, body = MembershipJson), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)))]
#[allow(dead_code)]
fn add_member() {}

#[utoipa::path(delete, path = "/api/organizations/{name}/members/{username}", tag = "contributions",
    params(("name" = String, Path, description = "the organisation's handle"),
        ("username" = String, Path, description = "a member's username")),
    responses((status = 200, body = MembershipJson), (status = 400), (status = 401), (status = 403), (status = 404)))]
#[allow(dead_code)]
fn remove_member() {}

/// Whether the viewer may manage organisations (the page's forms).
pub fn manages(viewer: &Viewer) -> bool {
    viewer.member.as_ref().is_some_and(|m| m.is_admin())
}
