//! The reference emulator over real HTTP on 127.0.0.1, driven by a plain
//! HTTP client that knows only the contract's wire rules.

use ctconform::emulator::{Emulator, EmulatorConfig};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const PREFIXED: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101";

struct Answer {
    status: u16,
    code: Option<String>,
    body: Value,
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    target: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Answer {
    let response = client
        .post(url)
        .header("X-Amz-Target", target)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .expect("the emulator answers");
    let status = response.status().as_u16();
    assert!(response.headers().contains_key("x-amzn-requestid"));
    let bytes = response.bytes().await.expect("a whole body");
    let body: Value = serde_json::from_slice(&bytes).expect("every answer is JSON");
    let code = body["__type"].as_str().map(str::to_string);
    Answer { status, code, body }
}

async fn call(client: &reqwest::Client, url: &str, operation: &str, body: Value) -> Answer {
    let target = format!("{PREFIXED}.{operation}");
    post(
        client,
        url,
        &target,
        "application/x-amz-json-1.1",
        serde_json::to_vec(&body).unwrap(),
    )
    .await
}

async fn audit_store(client: &reqwest::Client, url: &str) -> String {
    let selectors =
        json!([{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["ActivityAuditLog"]}]}]);
    let answer = call(
        client,
        url,
        "CreateEventDataStore",
        json!({"Name": "audit", "AdvancedEventSelectors": selectors}),
    )
    .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["Status"], "ENABLED");
    answer.body["EventDataStoreArn"]
        .as_str()
        .unwrap()
        .to_string()
}

fn channel(name: &str, store: &str) -> Value {
    json!({"Name": name, "Source": "Custom", "Destinations": [{"Type": "EVENT_DATA_STORE", "Location": store}]})
}

#[tokio::test]
async fn create_read_back_and_refuse_duplicates() {
    let emulator = Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap();
    let (client, url) = (reqwest::Client::new(), emulator.url());
    let store = audit_store(&client, &url).await;
    let mut request = channel("first-channel", &store);
    request["Tags"] = json!([{"Key": "team", "Value": "ä"}]);
    let created = call(&client, &url, "CreateChannel", request.clone()).await;
    assert_eq!(created.status, 200);
    let arn = created.body["ChannelArn"].as_str().unwrap();
    let id = arn
        .strip_prefix("arn:aws:cloudtrail:us-east-1:123456789012:channel/")
        .expect("channel ARN");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "a UUID id: {id}");
    for member in ["Name", "Source", "Destinations", "Tags"] {
        assert_eq!(created.body[member], request[member], "{member} echoed");
    }
    for reference in [arn, id] {
        let read = call(&client, &url, "GetChannel", json!({"Channel": reference})).await;
        assert_eq!(read.status, 200);
        assert_eq!(read.body["Name"], "first-channel");
        assert_eq!(read.body["Destinations"], request["Destinations"]);
        assert!(read.body.get("Tags").is_none());
    }
    let again = call(
        &client,
        &url,
        "CreateChannel",
        channel("first-channel", &store),
    )
    .await;
    assert_eq!(
        (again.status, again.code.as_deref()),
        (400, Some("ChannelAlreadyExistsException"))
    );
    let missing = call(
        &client,
        &url,
        "GetChannel",
        json!({"Channel": "no-such-channel"}),
    )
    .await;
    assert_eq!(
        (missing.status, missing.code.as_deref()),
        (404, Some("ChannelNotFoundException"))
    );
}

#[tokio::test]
async fn both_targets_and_media_type_parameters() {
    let emulator = Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap();
    let (client, url) = (reqwest::Client::new(), emulator.url());
    for target in [
        format!("{PREFIXED}.ListChannels"),
        "CloudTrail_20131101.ListChannels".to_string(),
    ] {
        for content_type in [
            "application/x-amz-json-1.1",
            "application/x-amz-json-1.1; charset=utf-8",
        ] {
            let answer = post(&client, &url, &target, content_type, Vec::new()).await;
            assert_eq!(answer.status, 200, "{target} {content_type}");
            assert_eq!(answer.body["Channels"], json!([]));
        }
    }
    let unknown = post(
        &client,
        &url,
        "CloudTrail_20131101.Nope",
        "application/x-amz-json-1.1",
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(
        (unknown.status, unknown.code.as_deref()),
        (400, Some("UnknownOperationException"))
    );
    let garbage = post(
        &client,
        &url,
        &format!("{PREFIXED}.CreateChannel"),
        "application/x-amz-json-1.1",
        b"{\"Name\":".to_vec(),
    )
    .await;
    assert_eq!(
        (garbage.status, garbage.code.as_deref()),
        (400, Some("SerializationException"))
    );
}

#[tokio::test]
async fn parallel_creates_of_one_name_give_exactly_one_success() {
    let emulator = Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap();
    let (client, url) = (reqwest::Client::new(), emulator.url());
    let store = audit_store(&client, &url).await;
    let attempts = (0..16).map(|_| {
        let (client, url, body) = (client.clone(), url.clone(), channel("raced", &store));
        tokio::spawn(async move { call(&client, &url, "CreateChannel", body).await })
    });
    let mut successes = 0;
    for attempt in attempts {
        let answer = attempt.await.unwrap();
        match answer.status {
            200 => successes += 1,
            _ => assert_eq!(
                answer.code.as_deref(),
                Some("ChannelAlreadyExistsException")
            ),
        }
    }
    assert_eq!(successes, 1);
    let listed = call(&client, &url, "ListChannels", json!({})).await;
    assert_eq!(listed.body["Channels"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn random_bytes_never_get_a_5xx() {
    let emulator = Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap();
    let (client, url) = (reqwest::Client::new(), emulator.url());
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let targets = [
        "CreateChannel",
        "UpdateChannel",
        "CreateEventDataStore",
        "ListChannels",
        "DeleteEventDataStore",
    ];
    for round in 0..400 {
        let length = rng.random_range(0..256);
        let mut body: Vec<u8> = (0..length).map(|_| rng.random()).collect();
        if round % 2 == 0 {
            // Mostly-JSON bodies reach deeper than pure noise.
            body = format!(
                "{{\"Name\":{},\"Destinations\":[{}]}}",
                String::from_utf8_lossy(&body).len(),
                "[".repeat(round)
            )
            .into_bytes();
        }
        let target = format!("{PREFIXED}.{}", targets[round % targets.len()]);
        let answer = post(&client, &url, &target, "application/x-amz-json-1.1", body).await;
        assert!(
            (200..500).contains(&answer.status),
            "round {round}: {}",
            answer.status
        );
    }
    let still_up = call(&client, &url, "ListChannels", json!({})).await;
    assert_eq!(still_up.status, 200);
}

#[tokio::test]
async fn oversized_bodies_are_refused_unread() {
    let config = EmulatorConfig {
        max_body_bytes: 1024,
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start_local(config).await.unwrap();
    let client = reqwest::Client::new();
    let target = format!("{PREFIXED}.CreateChannel");
    let answer = post(
        &client,
        &emulator.url(),
        &target,
        "application/x-amz-json-1.1",
        vec![b' '; 4096],
    )
    .await;
    assert_eq!(answer.status, 413);
}
