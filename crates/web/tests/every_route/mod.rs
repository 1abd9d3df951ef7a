//! Shared by the web and the binary's tests: one request to every route
//! in `crates/web/src/routes.rs`, and the forged headers a client may send.
#![allow(dead_code)]

/// Every route of `routes.rs`, with parameters.
pub const ROUTES: &[&str] = &[
    "/",
    "/?date=2025-12-01",
    "/week",
    "/month",
    "/week/2025-W49",
    "/month/2025-12",
    "/papers/2511.22699",
    "/papers/arXiv:2511.22699",
    "/search?q=diffusion",
    "/static/style.css",
    "/healthz",
    "/metrics",
    "/api/daily_papers?limit=2",
    "/api/daily_papers?week=2025-W49&limit=1&sort=publishedAt",
    "/api/papers/search?q=diffusion",
    "/api/search?q=diffusion&mode=keyword",
    "/api/search/status",
    "/api/papers/2511.22699",
    "/api/papers/2511.22699/similar",
    "/organizations",
    "/organizations/Tongyi-MAI",
    "/api/organizations/Tongyi-MAI",
    "/users/nobody",
    "/api/users/nobody",
    "/submit",
    "/api/collections?limit=1",
    "/api/collections?item=papers/2511.22699",
    "/collections",
    "/collections/nobody/nothing-0000000000000000000000",
    "/trending",
    "/api/daily_papers?sort=trending&limit=2",
    "/papers/2511.22699.md",
    "/papers/2511.22699/claim",
    "/papers/2511.22699/collections",
    "/api/papers/2511.22699/comments",
    "/comments/1/edit",
    "/login",
    "/signup",
    "/settings",
    "/reset?token=x",
    "/verify?token=x",
    "/admin",
    "/admin/status",
    "/admin/claims",
    "/api/status",
    "/api/openapi.json",
    "/api/auth/me",
    "/api/whoami-v2",
    "/api/claims",
    "/static/app.js",
    "/no/such/page",
    "/api/no/such/thing",
];

pub const FORGED: &[(&str, &str)] = &[
    ("host", "evil-h0st.example"),
    ("x-forwarded-host", "f0rged-host.example"),
    ("x-forwarded-proto", "g0pher"),
    ("x-forwarded-for", "6.6.6.6"),
];

/// What must never come back from [`FORGED`].
pub const FORGED_WORDS: &[&str] = &["evil-h0st", "f0rged", "g0pher"];
