//! Members for the router tests: signing up through the API, and sending
//! requests as a member (session cookie and CSRF token), as JSON or as a
//! browser's form.

use serde_json::{Value, json};

use super::{Reply, TestApp};

/// A signed-in client: its session cookie and CSRF token.
pub struct Client {
    pub cookie: String,
    pub csrf: String,
    pub id: u64,
}

/// The session cookie a response sets (checked to be `HttpOnly` and `SameSite=Lax`).
pub fn cookie_of(r: &Reply) -> String {
    let set = r.header("set-cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    set.split(';').next().unwrap().to_string()
}

/// Signs `name` up (address `name@example.org`) and answers their client.
pub async fn signup(app: &TestApp, name: &str) -> Client {
    let r = super::sign_up(app, name).await;
    let j = r.json();
    Client {
        cookie: cookie_of(&r),
        csrf: j["csrfToken"].as_str().unwrap().to_string(),
        id: j["member"]["id"].as_u64().unwrap(),
    }
}

impl Client {
    /// The headers of a JSON request from this member.
    pub fn headers(&self) -> Vec<(&str, &str)> {
        vec![
            ("cookie", self.cookie.as_str()),
            ("x-csrf-token", self.csrf.as_str()),
            ("content-type", "application/json"),
        ]
    }

    /// Posts `fields` as a browser's form would (the CSRF token among them).
    pub async fn form(&self, app: &TestApp, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all = vec![("csrf_token", self.csrf.as_str())];
        all.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&all).unwrap();
        app.send(
            "POST",
            uri,
            &[
                ("cookie", self.cookie.as_str()),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            &body,
        )
        .await
    }

    /// A GET as this member.
    pub async fn get(&self, app: &TestApp, uri: &str) -> Reply {
        app.get_with(uri, &[("cookie", self.cookie.as_str())]).await
    }
}

/// A login attempt as JSON.
pub async fn login(app: &TestApp, who: &str, password: &str) -> Reply {
    let body = json!({"login": who, "password": password}).to_string();
    app.send(
        "POST",
        "/api/auth/login",
        &[("content-type", "application/json")],
        &body,
    )
    .await
}

/// Sends `body` as JSON to `uri` as the member `c`.
pub async fn act(app: &TestApp, c: &Client, method: &str, uri: &str, body: Value) -> Reply {
    app.send(method, uri, &c.headers(), &body.to_string()).await
}
