//! Every route is walked with every role and with no token, and the answer is checked against
//! the access the route declares. The OpenAPI document must list exactly the same routes.

use std::collections::BTreeSet;

use penkom_core::Role;
use reqwest::Method;
use serde_json::Value;

use crate::support::TestApp;

/// `path` with every parameter replaced by a well-formed id that names nothing.
pub(crate) fn concrete(path: &str) -> String {
    fill(path, |_| uuid::Uuid::new_v4().to_string())
}

/// `path` with each `{name}` replaced by `value(name)`.
pub(crate) fn fill(path: &str, value: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').map_or(rest.len(), |e| start + e + 1);
        out.push_str(&value(&rest[start + 1..end.saturating_sub(1).max(start + 1)]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn every_route_answers_as_it_declares_for_every_role() {
    let app = TestApp::spawn().await;
    let mut callers: Vec<(Option<Role>, Option<String>)> = vec![(None, None)];
    for role in Role::ALL {
        callers.push((Some(role), Some(app.signed_in(role.as_str()).await)));
    }
    // Sign-out revokes the token it is called with, so it is walked last.
    let mut endpoints = app.endpoints.clone();
    endpoints.sort_by_key(|e| e.path.ends_with("/logout"));
    assert!(endpoints.len() >= 10, "the table lists the routes");

    for ep in &endpoints {
        for (role, token) in &callers {
            let roles: Option<Vec<Role>> = role.map(|r| vec![r]);
            let expected = ep.access.admits(roles.as_deref());
            let method = Method::from_bytes(ep.method.as_str().as_bytes()).unwrap();
            let mut req = app.client.request(method, app.url(&concrete(ep.path)));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if ep.method != axum::http::Method::GET {
                req = req.json(&serde_json::json!({}));
            }
            let status = req.send().await.unwrap().status().as_u16();
            let who = role.map(|r| r.as_str()).unwrap_or("anonymous");
            match expected {
                Err(code) => assert_eq!(status, code.as_u16(), "{} {} as {who}", ep.method, ep.path),
                // A GET without parameters must simply work for everyone it admits; other calls
                // get an empty body and unknown ids, so a 4xx about the input is fine there.
                Ok(()) if ep.method == axum::http::Method::GET && !ep.path.contains('{') => {
                    assert_eq!(status, 200, "{} {} as {who}", ep.method, ep.path)
                }
                Ok(()) => assert!(
                    status != 401 && status != 403 && status < 500,
                    "{} {} as {who} answered {status}",
                    ep.method,
                    ep.path
                ),
            }
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/api/v1/openapi.json", None).await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let declared: BTreeSet<(String, String)> =
        app.endpoints.iter().map(|e| (e.method.to_string(), e.path.to_string())).collect();
    assert_eq!(documented, declared);
    // Every operation has its own id: generated clients name their functions after them.
    let mut ids = BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let id = op["operationId"].as_str().unwrap().to_string();
            assert!(ids.insert(id.clone()), "operationId {id} is used twice");
        }
    }
    for (path, media) in [
        ("/.well-known/did.json", "application/did+json"),
        ("/.well-known/jwks.json", "application/jwk-set+json"),
        ("/status/revocation", "application/vc+ld+json"),
    ] {
        let content = &doc["paths"][path]["get"]["responses"]["200"]["content"];
        assert!(content.get(media).is_some(), "{path} is documented as {media}: {content}");
        assert_eq!(app.get(path, None).await.headers()["content-type"], media, "and served so");
    }
    let siasn = &doc["paths"]["/api/v1/reports/siasn"]["get"]["parameters"];
    assert!(
        !siasn.as_array().unwrap().iter().any(|p| p["name"] == "opd"),
        "no parameter that is always refused"
    );
    let import = &doc["paths"]["/api/v1/admin/users/import"]["post"];
    assert!(import["description"].as_str().unwrap().contains("`admin`"), "access is documented");
    app.stop().await;
}
