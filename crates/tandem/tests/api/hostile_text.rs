//! Text no field accepts: NUL in every query parameter and every JSON string field of
//! every endpoint the OpenAPI document lists. Each must be a 400/422 naming what is
//! wrong, never a 500 (PostgreSQL cannot store NUL, so a value that reached it would be).

use crate::helpers::{TestApp, problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The schema `reference` points to, or `schema` itself.
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            &spec["components"]["schemas"][name]
        }
        None => schema,
    }
}

fn is_string(schema: &Value) -> bool {
    match &schema["type"] {
        Value::String(t) => t == "string",
        Value::Array(types) => types.iter().any(|t| t == "string"),
        _ => false,
    }
}

struct Case {
    method: Method,
    path: String,
    query: Option<String>,
    body: Option<(String, Value)>,
}

fn cases(spec: &Value, document_id: &str, user_id: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    for (template, operations) in spec["paths"].as_object().unwrap() {
        // Internal endpoints take the service token, not a user's: tested on their own.
        if template.starts_with("/internal/") {
            continue;
        }
        let path = template
            .replace("{attachment_id}", &uuid::Uuid::now_v7().to_string())
            .replace("{n}", "1")
            .replace("{a}", "1")
            .replace("{b}", "1");
        let path = if path.starts_with("/users/") {
            path.replace("{id}", user_id)
        } else {
            path.replace("{id}", document_id)
        };
        for (method, operation) in operations.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["in"] == "query" {
                    cases.push(Case {
                        method: method.clone(),
                        path: path.clone(),
                        query: Some(parameter["name"].as_str().unwrap().to_owned()),
                        body: None,
                    });
                }
            }
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            if schema.is_null() {
                continue;
            }
            let schema = resolve(spec, schema);
            let example = schema.get("example").cloned().unwrap_or_else(|| json!({}));
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                if is_string(resolve(spec, property)) {
                    let mut body = example.clone();
                    body[name] = json!("a\u{0}b");
                    cases.push(Case {
                        method: method.clone(),
                        path: path.clone(),
                        query: None,
                        body: Some((name.clone(), body)),
                    });
                }
            }
        }
    }
    cases
}

#[tokio::test]
async fn nul_in_any_query_parameter_or_json_field_of_any_endpoint_is_refused_naming_it() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Target", "text").await;
    let spec: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let cases = cases(&spec, doc["id"].as_str().unwrap(), &ada.user_id);
    assert!(cases.len() > 40, "only {} cases", cases.len());
    for case in cases {
        let url = match &case.query {
            Some(name) => app.url(&format!("{}?{name}=a%00b", case.path)),
            None => app.url(&case.path),
        };
        let mut request = app
            .client
            .request(case.method.clone(), url)
            .bearer_auth(&ada.access);
        let (expected, field) = match (&case.query, &case.body) {
            (Some(name), _) => (StatusCode::BAD_REQUEST, name.clone()),
            (None, Some((name, body))) => {
                request = request.json(body);
                (StatusCode::UNPROCESSABLE_ENTITY, name.clone())
            }
            (None, None) => unreachable!(),
        };
        let response = request.send().await.unwrap();
        let what = format!("{} {} ({field})", case.method, case.path);
        assert!(
            !response.status().is_server_error(),
            "{what}: {}",
            response.status()
        );
        let body = problem(response, expected).await;
        let named = body["errors"]
            .as_array()
            .is_some_and(|errors| errors.iter().any(|e| e["field"] == field.as_str()));
        assert!(named, "{what}: {body}");
    }
    app.assert_alive().await;
}

#[tokio::test]
async fn a_search_for_text_with_nul_is_a_400_not_a_500() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let response = app
        .get("/documents/search?q=a%00b", Some(&ada.access))
        .await;
    let body = problem(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["errors"][0]["field"], "q");
}
