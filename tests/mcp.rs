//! `heapscope mcp` driven by the official SDK's client over stdio, on a
//! real dump of tests/java/LeakPatterns.java: the tools are listed and
//! each one answers with what the program made.

#[cfg(feature = "sql")]
mod jdk;

#[cfg(not(feature = "sql"))]
#[test]
#[ignore = "built without the `sql` feature: run cargo test --features sql"]
fn needs_the_sql_feature() {}

#[cfg(feature = "sql")]
mod with_sql {
    use super::jdk;

    use rmcp::ServiceExt;
    use rmcp::model::CallToolRequestParams;
    use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
    use serde_json::{Value, json};

    use jdk::{Jvm, system_jdk};

    #[test]
    fn an_mcp_session_lists_the_tools_and_runs_each_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("leaks.hprof");
        let jvm = Jvm::start(&system_jdk(), "LeakPatterns", &[]);
        jvm.dump(&path, &[]);
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let command =
                tokio::process::Command::new(env!("CARGO_BIN_EXE_heapscope")).configure(|c| {
                    c.arg("mcp").arg(&path);
                });
            let client =
                ().serve(TokioChildProcess::new(command).unwrap())
                    .await
                    .expect("initialized");
            let info = client.peer_info().expect("server info");
            let server = info.server_info.as_ref().expect("server info");
            assert_eq!(server.name, "heapscope");
            let mut names: Vec<String> = client
                .list_all_tools()
                .await
                .expect("tools")
                .into_iter()
                .map(|t| t.name.to_string())
                .collect();
            names.sort();
            let expected = [
                "diff",
                "dominators",
                "finalizers",
                "histogram",
                "inspect",
                "paths",
                "sql",
                "summary",
                "suspects",
                "waste",
            ];
            assert_eq!(names, expected);
            let call = |name: &'static str, args: Value| {
                let client = &client;
                async move {
                    let params = CallToolRequestParams::new(name)
                        .with_arguments(args.as_object().cloned().unwrap_or_default());
                    let result = client.call_tool(params).await.expect("a tool answers");
                    let text = result.content[0].as_text().expect("text").text.clone();
                    (result.is_error == Some(true), text)
                }
            };
            let json_of = |(error, text): (bool, String)| -> Value {
                assert!(!error, "{text}");
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
            };

            let summary = json_of(call("summary", json!({})).await);
            let objects = summary["objects"].as_u64().expect("objects");
            assert!(objects > 100_000, "{summary}");

            let histogram =
                json_of(call("histogram", json!({"filter": "Session$", "top": 5})).await);
            let rows = histogram["classes"].as_array().expect("classes");
            let session = rows
                .iter()
                .find(|r| r["name"] == "LeakPatterns$Session")
                .expect("Session");
            assert_eq!(session["instances"], 20_000);

            let dominators = json_of(call("dominators", json!({"top": 3})).await);
            let top = dominators["objects"].as_array().expect("objects");
            assert_eq!(top.len(), 3);
            let biggest = top[0]["id"].as_str().expect("id").to_string();

            let paths = json_of(call("paths", json!({"object": biggest})).await);
            assert!(
                !paths["paths"].as_array().expect("paths").is_empty(),
                "{paths}"
            );

            let inspect = json_of(call("inspect", json!({"object": biggest})).await);
            assert_eq!(inspect["id"], biggest.as_str());
            assert!(inspect["outgoing_total"].as_u64().unwrap() > 0, "{inspect}");

            let finalizers = json_of(call("finalizers", json!({})).await);
            assert!(
                finalizers["pending"].as_u64().unwrap() >= 400,
                "{finalizers}"
            );

            let suspects = json_of(call("suspects", json!({})).await);
            let text = suspects.to_string();
            assert!(text.contains("SESSIONS"), "{text:.500}");

            let waste = json_of(call("waste", json!({"top": 3})).await);
            assert!(
                waste.to_string().contains("java.lang.String"),
                "{waste:.500}"
            );

            // The dump against itself: nothing grew.
            let diff = json_of(
                call(
                    "diff",
                    json!({"baseline": path.to_str().unwrap(), "top": 5}),
                )
                .await,
            );
            assert!(diff.to_string().contains("classes"), "{diff:.500}");

            let sql = json_of(
                call(
                    "sql",
                    json!({"query": "SELECT count(*) AS n FROM \"LeakPatterns$Session\""}),
                )
                .await,
            );
            assert_eq!(sql["rows"][0][0], 20_000);
            let (error, text) = call("sql", json!({"query": "SELEC 1"})).await;
            assert!(error, "{text}");
            assert!(text.contains("line 1, column 1"), "{text}");
            let (error, text) = call("inspect", json!({"object": "0x1"})).await;
            assert!(error && text.contains("no object"), "{text}");
            client.cancel().await.expect("closed");
        });
    }
}
