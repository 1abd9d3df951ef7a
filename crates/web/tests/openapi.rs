//! The OpenAPI document against the code it describes, through the router:
//! every JSON route is in it, its bounds and enumerations are the ones the
//! handlers enforce, every error answer is the documented `{"error"}`
//! body, and real answers of the read routes fit its schemas (fields that
//! may be absent are optional, fields that may be null are nullable, and
//! nothing is answered that it does not name). `scripts/run-server-tests.sh`
//! runs schemathesis on the same document against a live server.

mod common;

use common::*;
use dailypapers_domain::community::COMMENT_MAX_CHARS;
use dailypapers_domain::member::{
    EMAIL_MAX_CHARS, MEMBER_NAME_MAX_CHARS, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS,
    USERNAME_MAX_CHARS,
};
use dailypapers_search::engine::MAX_RESULTS;
use dailypapers_web::api::{daily_papers, papers, search};
use serde_json::{Value, json};

async fn document(app: &TestApp) -> Value {
    let r = app.get("/api/openapi.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), "application/json");
    r.json()
}

const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];

/// Every (method, path, operation) of the document.
fn operations(doc: &Value) -> Vec<(&str, &str, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                out.push((m, path.as_str(), op));
            }
        }
    }
    out
}

/// A query or path parameter's schema.
fn param<'a>(doc: &'a Value, path: &str, name: &str) -> &'a Value {
    let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
    let p = params
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{path} has no parameter {name}"));
    resolve(doc, &p["schema"])
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(
            doc,
            &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        ),
        None => schema,
    }
}

/// The properties and required names of an object schema, `allOf` merged.
fn object_shape(
    doc: &Value,
    schema: &Value,
) -> Option<(serde_json::Map<String, Value>, Vec<String>)> {
    let schema = resolve(doc, schema);
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let mut props = serde_json::Map::new();
        let mut required = Vec::new();
        for part in parts {
            let (p, r) = object_shape(doc, part)?;
            props.extend(p);
            required.extend(r);
        }
        return Some((props, required));
    }
    let props = schema.get("properties")?.as_object()?.clone();
    let required = schema["required"]
        .as_array()
        .map(|r| r.iter().map(|n| n.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    Some((props, required))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Where `value` breaks `schema`: a wrong type (null included), a missing
/// required field, a field the schema does not name, a value outside an
/// enumeration.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
        let fits = branches.iter().any(|b| {
            let mut errs = Vec::new();
            check(doc, b, value, at, &mut errs);
            errs.is_empty()
        });
        if !fits {
            out.push(format!("{at}: {value} fits no branch of oneOf"));
        }
        return;
    }
    if let Some(want) = schema.get("type") {
        let got = type_name(value);
        let ok = match want {
            Value::String(t) => t == got || (t == "number" && got == "integer"),
            Value::Array(ts) => ts
                .iter()
                .any(|t| t == got || (t == "number" && got == "integer")),
            _ => true,
        };
        if !ok {
            out.push(format!("{at}: {got} where the document says {want}"));
            return;
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(value)
    {
        out.push(format!("{at}: {value} is not one of {values:?}"));
    }
    match value {
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    check(doc, item, v, &format!("{at}[{i}]"), out);
                }
            }
        }
        Value::Object(fields) => {
            let Some((props, required)) = object_shape(doc, schema) else {
                return;
            };
            for name in &required {
                if !fields.contains_key(name) {
                    out.push(format!("{at}: required field {name} is missing"));
                }
            }
            for (name, v) in fields {
                match props.get(name) {
                    Some(s) => check(doc, s, v, &format!("{at}.{name}"), out),
                    None => out.push(format!("{at}: field {name} is not in the document")),
                }
            }
        }
        _ => {}
    }
}

/// The schema of the 200 answer of `GET path`.
fn ok_schema<'a>(doc: &'a Value, path: &str) -> &'a Value {
    &doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
}

async fn fits(app: &TestApp, doc: &Value, path: &str, uri: &str) -> Value {
    let r = app.get(uri).await;
    assert_eq!(r.status, 200, "{uri}: {}", r.body);
    let body = r.json();
    let mut errors = Vec::new();
    check(doc, ok_schema(doc, path), &body, uri, &mut errors);
    assert!(
        errors.is_empty(),
        "{uri} does not fit the document:\n{}",
        errors.join("\n")
    );
    body
}

/// A member signed up through the API, with what their JSON requests carry.
struct Member {
    cookie: String,
    csrf: String,
}

impl Member {
    async fn sign_up(app: &TestApp, name: &str) -> Member {
        let r = sign_up(app, name).await;
        Member {
            cookie: r
                .header("set-cookie")
                .split(';')
                .next()
                .unwrap()
                .to_string(),
            csrf: r.json()["csrfToken"].as_str().unwrap().to_string(),
        }
    }

    fn headers(&self) -> [(&str, &str); 3] {
        [
            ("cookie", self.cookie.as_str()),
            ("x-csrf-token", self.csrf.as_str()),
            ("content-type", "application/json"),
        ]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_json_route_is_in_the_document_once() {
    let app = app().await;
    let doc = document(&app).await;
    let ops = operations(&doc);
    for (method, path) in [
        ("get", "/api/daily_papers"),
        ("get", "/api/papers/search"),
        ("get", "/api/papers/{id}"),
        ("get", "/api/papers/{id}/similar"),
        ("get", "/api/papers/{id}/comments"),
        ("get", "/api/search"),
        ("get", "/api/search/status"),
        ("get", "/api/status"),
        ("get", "/api/whoami-v2"),
        ("get", "/api/auth/me"),
        ("post", "/api/papers/{id}/upvote"),
    ] {
        assert!(
            ops.iter().any(|(m, p, _)| *m == method && *p == path),
            "{method} {path} is not in the document"
        );
    }
    let mut ids: Vec<&str> = ops
        .iter()
        .map(|(m, p, op)| {
            op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{m} {p} has no operationId"))
        })
        .collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before, "an operationId is used twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_the_documented_error_body() {
    let app = app().await;
    let doc = document(&app).await;
    for (method, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().unwrap();
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                assert!(
                    !response["description"].as_str().unwrap().is_empty(),
                    "{method} {path} {status}: no description"
                );
                // The error body, or one that adds to it (a 409 that names
                // what is in the way carries its `error` too).
                let schema = &response["content"]["application/json"]["schema"]["$ref"];
                let name = schema
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    .unwrap_or_else(|| panic!("{method} {path} {status}: {schema}"));
                let error = &doc["components"]["schemas"][name]["properties"]["error"];
                assert_eq!(error["type"], "string", "{method} {path} {status}: {name}");
                assert!(
                    doc["components"]["schemas"][name]["required"]
                        .as_array()
                        .is_some_and(|r| r.iter().any(|f| f == "error")),
                    "{method} {path} {status}: {name} must require `error`"
                );
            }
        }
        if method != "get" {
            for status in ["400", "401", "403"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path}: the extractors' {status} is not documented"
                );
            }
        }
    }
    // And an error really is that body.
    let r = app.get("/api/daily_papers?limit=0").await;
    assert_eq!(r.status, 400);
    let mut errors = Vec::new();
    let schema = &doc["paths"]["/api/daily_papers"]["get"]["responses"]["400"]["content"]["application/json"]
        ["schema"];
    check(&doc, schema, &r.json(), "400", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_bounds_are_the_handlers_bounds() {
    let app = app().await;
    let doc = document(&app).await;
    let bound = |path: &str, name: &str, key: &str| param(&doc, path, name)[key].as_u64();
    assert_eq!(
        bound("/api/daily_papers", "limit", "maximum"),
        Some(daily_papers::MAX_LIMIT)
    );
    assert_eq!(
        bound("/api/daily_papers", "p", "maximum"),
        Some(daily_papers::MAX_PAGE)
    );
    assert_eq!(
        bound("/api/papers/search", "limit", "maximum"),
        Some(search::MAX_LIMIT)
    );
    assert_eq!(
        bound("/api/papers/search", "q", "maxLength"),
        Some(search::MAX_QUERY_CHARS as u64)
    );
    assert_eq!(
        bound("/api/papers/{id}/similar", "limit", "maximum"),
        Some(papers::MAX_SIMILAR)
    );
    assert_eq!(
        bound("/api/search", "offset", "maximum"),
        Some(MAX_RESULTS as u64 - 1)
    );
    // At each bound and one past it, the handler answers as documented.
    for (uri, status) in [
        (
            format!("/api/daily_papers?limit={}", daily_papers::MAX_LIMIT),
            200,
        ),
        (
            format!("/api/daily_papers?limit={}", daily_papers::MAX_LIMIT + 1),
            400,
        ),
        (
            format!("/api/daily_papers?p={}", daily_papers::MAX_PAGE),
            200,
        ),
        (
            format!("/api/daily_papers?p={}", daily_papers::MAX_PAGE + 1),
            400,
        ),
        (
            format!(
                "/api/papers/search?q={}",
                "a".repeat(search::MAX_QUERY_CHARS)
            ),
            200,
        ),
        (
            format!(
                "/api/papers/search?q={}",
                "a".repeat(search::MAX_QUERY_CHARS + 1)
            ),
            400,
        ),
        (
            format!("/api/papers/search?limit={}", search::MAX_LIMIT + 1),
            400,
        ),
        (
            format!("/api/search?q=model&offset={}&limit=1", MAX_RESULTS - 1),
            200,
        ),
        (
            format!("/api/search?q=model&offset={}&limit=1", MAX_RESULTS),
            400,
        ),
    ] {
        assert_eq!(app.get(&uri).await.status, status, "{uri}");
    }
    // Request bodies: the domain's limits.
    for (schema, name, key, want) in [
        ("SignupBody", "username", "maxLength", USERNAME_MAX_CHARS),
        ("SignupBody", "password", "minLength", PASSWORD_MIN_CHARS),
        ("SignupBody", "password", "maxLength", PASSWORD_MAX_CHARS),
        ("SignupBody", "email", "maxLength", EMAIL_MAX_CHARS),
        (
            "SignupBody",
            "displayName",
            "maxLength",
            MEMBER_NAME_MAX_CHARS,
        ),
        (
            "PasswordBody",
            "newPassword",
            "minLength",
            PASSWORD_MIN_CHARS,
        ),
        (
            "PasswordBody",
            "newPassword",
            "maxLength",
            PASSWORD_MAX_CHARS,
        ),
        ("ResetBody", "newPassword", "minLength", PASSWORD_MIN_CHARS),
        ("ResetBody", "newPassword", "maxLength", PASSWORD_MAX_CHARS),
        ("NewCommentBody", "body", "maxLength", COMMENT_MAX_CHARS),
        ("EditBody", "body", "maxLength", COMMENT_MAX_CHARS),
    ] {
        assert_eq!(
            doc["components"]["schemas"][schema]["properties"][name][key].as_u64(),
            Some(want as u64),
            "{schema}.{name} {key}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_value_of_an_enumeration_is_accepted_and_no_other() {
    let app = app().await;
    app.index().await;
    let doc = document(&app).await;
    for (path, name, base, ok) in [
        ("/api/daily_papers", "sort", "/api/daily_papers?", vec![200]),
        // Without a model, semantic search is a 503 that says so.
        (
            "/api/search",
            "mode",
            "/api/search?q=model&",
            vec![200, 503],
        ),
        ("/api/search", "sort", "/api/search?q=model&", vec![200]),
    ] {
        let values = param(&doc, path, name)["enum"].as_array().unwrap().clone();
        assert!(values.len() >= 2, "{path} {name}: {values:?}");
        for v in &values {
            let uri = format!("{base}{name}={}", v.as_str().unwrap());
            let status = app.get(&uri).await.status.as_u16();
            assert!(ok.contains(&status), "{uri}: {status}");
        }
        let uri = format!("{base}{name}=nonsense");
        assert_eq!(app.get(&uri).await.status, 400, "{uri}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_answers_fit_the_document() {
    let app = app().await;
    app.index().await;
    let doc = document(&app).await;
    // Z-Image has every optional field; the other days' papers lack many.
    let day = fits(
        &app,
        &doc,
        "/api/daily_papers",
        "/api/daily_papers?date=2025-12-01",
    )
    .await;
    assert!(day.as_array().unwrap().len() > 10);
    fits(
        &app,
        &doc,
        "/api/daily_papers",
        "/api/daily_papers?date=2024-05-27",
    )
    .await;
    fits(
        &app,
        &doc,
        "/api/daily_papers",
        "/api/daily_papers?limit=100",
    )
    .await;
    let flat = fits(&app, &doc, "/api/papers/{id}", "/api/papers/2511.22699").await;
    for field in [
        "githubRepo",
        "organization",
        "ai_keywords",
        "submittedOnDailyBy",
    ] {
        assert!(flat.get(field).is_some(), "the test paper lacks {field}");
    }
    fits(&app, &doc, "/api/papers/{id}", "/api/papers/2405.15738").await;
    fits(
        &app,
        &doc,
        "/api/papers/search",
        "/api/papers/search?q=diffusion",
    )
    .await;
    fits(&app, &doc, "/api/papers/search", "/api/papers/search").await;
    let found = fits(
        &app,
        &doc,
        "/api/search",
        "/api/search?q=diffusion&mode=keyword",
    )
    .await;
    assert!(found["total"].as_u64().unwrap() > 0);
    fits(&app, &doc, "/api/search", "/api/search?q=diffusion").await;
    fits(&app, &doc, "/api/search/status", "/api/search/status").await;
    fits(&app, &doc, "/api/status", "/api/status").await;
    // A comment, as its thread shows it, before and after it is deleted.
    let ada = Member::sign_up(&app, "ada").await;
    let headers = ada.headers();
    let made = app
        .send(
            "POST",
            "/api/papers/2511.22699/comments",
            &headers,
            &json!({"body": "*fine*"}).to_string(),
        )
        .await
        .json();
    let comments = "/api/papers/{id}/comments";
    fits(&app, &doc, comments, "/api/papers/2511.22699/comments").await;
    let id = made["id"].as_u64().unwrap();
    let r = app
        .send("DELETE", &format!("/api/comments/{id}"), &headers, "")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let thread = fits(&app, &doc, comments, "/api/papers/2511.22699/comments").await;
    assert!(thread[0]["body"].is_null(), "{thread}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_a_comment_change_does_not_take_is_not_a_question_of_whose_it_is() {
    let app = app().await;
    let bo = Member::sign_up(&app, "bo").await;
    let headers = bo.headers();
    let id = app
        .send(
            "POST",
            "/api/papers/2511.22699/comments",
            &headers,
            &json!({"body": "mine"}).to_string(),
        )
        .await
        .json()["id"]
        .as_u64()
        .unwrap();
    // Its own author, with a method the change does not take: nothing there.
    for (method, verb) in [
        ("PATCH", "delete"),
        ("PATCH", "hide"),
        ("DELETE", "edit"),
        ("DELETE", "unhide"),
    ] {
        let r = app
            .send(
                method,
                &format!("/api/comments/{id}/{verb}"),
                &headers,
                "{}",
            )
            .await;
        assert_eq!(r.status, 404, "{method} …/{verb}: {}", r.body);
    }
    // Hiding is for admins, and the refusal says so.
    let r = app
        .send("POST", &format!("/api/comments/{id}/hide"), &headers, "{}")
        .await;
    assert_eq!(r.status, 403);
    assert!(
        r.json()["error"].as_str().unwrap().contains("admin"),
        "{}",
        r.body
    );
    // The comment is as it was.
    let thread = app.get("/api/papers/2511.22699/comments").await.json();
    assert_eq!(thread[0]["body"], "mine");
    assert_eq!(thread[0]["hidden"], false);
}

/// The checker itself: it finds what does not fit.
#[test]
fn the_checker_finds_what_does_not_fit() {
    let doc = json!({"components": {"schemas": {
        "P": {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string"},
            "name": {"type": ["string", "null"]},
            "org": {"$ref": "#/components/schemas/O"},
            "n": {"type": "integer"},
        }},
        "O": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
        "F": {"allOf": [{"$ref": "#/components/schemas/P"},
                        {"type": "object", "required": ["c"], "properties": {"c": {"type": "integer"}}}]},
    }}});
    let p = json!({"$ref": "#/components/schemas/P"});
    let f = json!({"$ref": "#/components/schemas/F"});
    let errors = |schema: &Value, value: Value| {
        let mut out = Vec::new();
        check(&doc, schema, &value, "x", &mut out);
        out
    };
    assert!(
        errors(
            &p,
            json!({"id": "a", "name": null, "org": {"name": "o"}, "n": 1})
        )
        .is_empty()
    );
    assert!(errors(&f, json!({"id": "a", "c": 2})).is_empty());
    for bad in [
        json!({"name": "no id"}),
        json!({"id": "a", "org": null}),
        json!({"id": "a", "org": {}}),
        json!({"id": "a", "n": "1"}),
        json!({"id": "a", "extra": true}),
        json!({"id": 1}),
    ] {
        assert!(!errors(&p, bad.clone()).is_empty(), "{bad}");
    }
    assert!(
        !errors(&f, json!({"id": "a"})).is_empty(),
        "allOf's required"
    );
}
