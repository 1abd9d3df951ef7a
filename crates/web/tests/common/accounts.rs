//! Members for the router tests: signing up and logging in through the
//! API, and sending requests as a member (session cookie and CSRF token).

use serde_json::{Value, json};

use super::{Reply, TestApp};

/// A signed-in client: its session cookie and CSRF token.
pub struct Client {
    pub cookie: String,
    pub csrf: String,
    pub id: u64,
}

impl Client {
    /// The headers of a JSON request as this member.
    pub fn headers(&self) -> Vec<(&str, &str)> {
        vec![
            ("cookie", self.cookie.as_str()),
            ("x-csrf-token", self.csrf.as_str()),
            ("content-type", "application/json"),
        ]
    }
}

/// The session cookie a response sets (`name=value`), checked for its flags.
pub fn cookie_of(r: &Reply) -> String {
    let set = r.header("set-cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    set.split(';').next().unwrap().to_string()
}

/// Signs up `name` (address `name@example.org`, password `name has a long
/// passphrase`), logged in.
pub async fn signup(app: &TestApp, name: &str) -> Client {
    let body = json!({"username": name, "email": format!("{name}@example.org"), "password": format!("{name} has a long passphrase")});
    let r = app
        .send(
            "POST",
            "/api/auth/signup",
            &[("content-type", "application/json")],
            &body.to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    Client {
        cookie: cookie_of(&r),
        csrf: j["csrfToken"].as_str().unwrap().to_string(),
        id: j["member"]["id"].as_u64().unwrap(),
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

/// A JSON request as member `c`.
pub async fn act(app: &TestApp, c: &Client, method: &str, uri: &str, body: Value) -> Reply {
    app.send(method, uri, &c.headers(), &body.to_string()).await
}
