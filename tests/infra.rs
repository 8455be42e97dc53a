//! Infrastructure: infra/terraform and infra/bicep parsed offline by checkov (and its HCL and
//! Bicep parsers), checked for the resources and settings the deployment guide promises, compared
//! with each other, and the `driftscan infra params` generator.
//!
//! checkov exits 0 on a file it cannot parse, so every check reads `summary.parsing_errors` from
//! its JSON output; a test corrupts a copy of each configuration to show that this is noticed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `$DRIFTSCAN_CHECKOV`, or `None` (after saying why) when it is not set and components are not required.
fn checkov() -> Option<PathBuf> {
    match std::env::var_os("DRIFTSCAN_CHECKOV") {
        Some(p) => {
            let p = PathBuf::from(p);
            assert!(
                p.exists(),
                "DRIFTSCAN_CHECKOV={} does not exist",
                p.display()
            );
            Some(p)
        }
        None if std::env::var("DRIFTSCAN_REQUIRE_COMPONENTS").as_deref() == Ok("1") => {
            panic!(
                "DRIFTSCAN_CHECKOV is not set: the infrastructure tests need checkov (run scripts/test.sh)"
            )
        }
        None => {
            eprintln!("SKIPPED: DRIFTSCAN_CHECKOV is not set; infrastructure checks need checkov");
            None
        }
    }
}

/// Runs checkov on `target` (`-d DIR` or `-f FILE`) and returns its JSON report.
fn run_checkov(checkov: &Path, flag: &str, target: &Path, framework: &str) -> Value {
    let out = Command::new(checkov)
        .args([flag])
        .arg(target)
        .args([
            "--framework",
            framework,
            "-o",
            "json",
            "--soft-fail",
            "--compact",
        ])
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", checkov.display()));
    assert!(
        out.status.success(),
        "checkov failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov output is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    // One framework gives an object; checkov gives a list when several ran.
    match v {
        Value::Array(mut items) if items.len() == 1 => items.remove(0),
        v => v,
    }
}

fn check_ids(report: &Value, kind: &str) -> Vec<(String, String)> {
    report["results"][kind]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    (
                        c["check_id"].as_str().unwrap_or("").to_string(),
                        c["resource"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn assert_passes(report: &Value, expected: &[(&str, &str)]) {
    let passed = check_ids(report, "passed_checks");
    for (id, resource) in expected {
        assert!(
            passed.iter().any(|(i, r)| i == id && r == resource),
            "{id} on {resource} did not pass; failed: {:?}",
            check_ids(report, "failed_checks")
        );
    }
}

/// The Python of checkov's virtual environment: its HCL and Bicep parsers list what was parsed.
fn inventory(checkov: &Path) -> Value {
    let python = checkov.with_file_name("python");
    let script = r#"
import json, sys
from pathlib import Path
import hcl2
from pycep import BicepParser

root = Path(sys.argv[1])
out = {"terraform": [], "bicep": []}
for tf in sorted((root / "infra/terraform").glob("*.tf")):
    with open(tf) as f:
        doc = hcl2.load(f)
    for block in doc.get("resource", []):
        for rtype, named in block.items():
            for name, body in named.items():
                arm = body.get("type", [None])[0] if rtype == "azapi_resource" else None
                out["terraform"].append({"file": tf.name, "type": rtype, "name": name, "arm_type": arm,
                                         "for_each": "for_each" in body, "count": "count" in body,
                                         "body": body})
for bicep in sorted((root / "infra/bicep").rglob("*.bicep")):
    doc = BicepParser().parse(file_path=bicep)
    for name, res in doc.get("resources", {}).items():
        out["bicep"].append({"file": str(bicep.relative_to(root / "infra/bicep")), "name": name,
                             "type": res["type"], "existing": res["existing"], "config": res["config"]})
    for name, m in doc.get("modules", {}).items():
        out["bicep"].append({"file": str(bicep.relative_to(root / "infra/bicep")), "name": name,
                             "type": "module:" + m["detail"]["path"], "existing": False, "config": m["config"]})
print(json.dumps(out, default=str))
"#;
    let out = Command::new(&python)
        .args(["-c", script])
        .arg(root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "parser script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("inventory JSON")
}

/// ARM resource types of the azurerm resources used in infra/terraform.
fn arm_type(tf_type: &str, azapi_type: Option<&str>) -> String {
    if let Some(t) = azapi_type {
        return t.split('@').next().unwrap_or(t).to_string();
    }
    match tf_type {
        "azurerm_log_analytics_workspace" => "Microsoft.OperationalInsights/workspaces",
        "azurerm_application_insights" => "Microsoft.Insights/components",
        "azurerm_storage_account" => "Microsoft.Storage/storageAccounts",
        "azurerm_storage_container" => "Microsoft.Storage/storageAccounts/blobServices/containers",
        "azurerm_role_assignment" => "Microsoft.Authorization/roleAssignments",
        "azurerm_eventgrid_topic" => "Microsoft.EventGrid/topics",
        "azurerm_monitor_action_group" => "Microsoft.Insights/actionGroups",
        "azurerm_application_insights_workbook" => "Microsoft.Insights/workbooks",
        "azurerm_monitor_scheduled_query_rules_alert_v2" => {
            "Microsoft.Insights/scheduledQueryRules"
        }
        other => panic!("no ARM type known for {other}: add it here"),
    }
    .to_string()
}

#[test]
fn terraform_parses_in_checkov_with_every_resource() {
    let Some(checkov) = checkov() else { return };
    let report = run_checkov(&checkov, "-d", &root().join("infra/terraform"), "terraform");
    assert_eq!(
        report["summary"]["parsing_errors"], 0,
        "{:#}",
        report["results"]["parsing_errors"]
    );
    assert_eq!(
        report["summary"]["resource_count"], 19,
        "resources parsed: {:#}",
        report["summary"]
    );
    assert_passes(
        &report,
        &[
            ("CKV_AZURE_34", "azurerm_storage_container.driftscan"),
            ("CKV_AZURE_34", "azurerm_storage_container.package"),
            ("CKV_AZURE_44", "azurerm_storage_account.st"),
            ("CKV_AZURE_190", "azurerm_storage_account.st"),
            ("CKV2_AZURE_40", "azurerm_storage_account.st"),
        ],
    );
}

#[test]
fn bicep_parses_in_checkov_with_every_resource() {
    let Some(checkov) = checkov() else { return };
    let main = run_checkov(
        &checkov,
        "-f",
        &root().join("infra/bicep/main.bicep"),
        "bicep",
    );
    assert_eq!(
        main["summary"]["parsing_errors"], 0,
        "{:#}",
        main["results"]["parsing_errors"]
    );
    // checkov 3.3.30 counts 16 of main.bicep's 19 declarations (not the workbook either) (resource names are checked one by
    // one in `terraform_and_bicep_declare_the_same_resources`); the count guards against losing some.
    assert_eq!(
        main["summary"]["resource_count"], 16,
        "{:#}",
        main["summary"]
    );
    let all = run_checkov(&checkov, "-d", &root().join("infra/bicep"), "bicep");
    assert_eq!(
        all["summary"]["parsing_errors"], 0,
        "{:#}",
        all["results"]["parsing_errors"]
    );
    assert_eq!(
        all["summary"]["resource_count"], 21,
        "main.bicep and modules/container-reader.bicep"
    );
    assert_passes(
        &all,
        &[
            ("CKV_AZURE_70", "Microsoft.Web/sites.functionApp"),
            ("CKV_AZURE_71", "Microsoft.Web/sites.functionApp"),
            ("CKV_AZURE_78", "Microsoft.Web/sites.functionApp"),
            ("CKV_AZURE_44", "Microsoft.Storage/storageAccounts.storage"),
            ("CKV_AZURE_59", "Microsoft.Storage/storageAccounts.storage"),
            (
                "CKV_AZURE_34",
                "Microsoft.Storage/storageAccounts/blobServices/containers.driftscanContainer",
            ),
        ],
    );
}

#[test]
fn a_file_checkov_cannot_parse_is_caught() {
    let Some(checkov) = checkov() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let tf = tmp.path().join("tf");
    std::fs::create_dir(&tf).unwrap();
    for entry in std::fs::read_dir(root().join("infra/terraform")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "tf") {
            std::fs::copy(&p, tf.join(p.file_name().unwrap())).unwrap();
        }
    }
    let broken = std::fs::read_to_string(tf.join("main.tf"))
        .unwrap()
        .replacen(
            "resource \"azurerm_storage_account\" \"st\" {",
            "resource \"azurerm_storage_account\" \"st\" {{",
            1,
        );
    std::fs::write(tf.join("main.tf"), broken).unwrap();
    let report = run_checkov(&checkov, "-d", &tf, "terraform");
    assert_eq!(
        report["summary"]["parsing_errors"], 1,
        "{:#}",
        report["summary"]
    );

    let bicep = tmp.path().join("main.bicep");
    let text = std::fs::read_to_string(root().join("infra/bicep/main.bicep")).unwrap();
    std::fs::write(
        &bicep,
        text.replacen("param appName string", "param appName string =", 1),
    )
    .unwrap();
    let report = run_checkov(&checkov, "-f", &bicep, "bicep");
    assert_eq!(
        report["summary"]["parsing_errors"], 1,
        "{:#}",
        report["summary"]
    );
}

#[test]
fn terraform_and_bicep_declare_the_same_resources() {
    let Some(checkov) = checkov() else { return };
    let inv = inventory(&checkov);
    let mut tf: BTreeMap<String, usize> = BTreeMap::new();
    for r in inv["terraform"].as_array().unwrap() {
        let t = arm_type(r["type"].as_str().unwrap(), r["arm_type"].as_str());
        *tf.entry(t).or_default() += 1;
    }
    let mut bicep: BTreeMap<String, usize> = BTreeMap::new();
    for r in inv["bicep"].as_array().unwrap() {
        let t = r["type"].as_str().unwrap();
        // Existing resources are references, modules are structure, and the blob service is a
        // block of the storage account in Terraform.
        if r["existing"] == true
            || t.starts_with("module:")
            || t == "Microsoft.Storage/storageAccounts/blobServices"
        {
            continue;
        }
        *bicep.entry(t.to_string()).or_default() += 1;
    }
    assert_eq!(
        tf, bicep,
        "ARM resource types and counts differ between infra/terraform and infra/bicep"
    );
    let expected = [
        // The app's three on storage, one on Application Insights and one on the event topic;
        // Spark's writers on the container.
        ("Microsoft.Authorization/roleAssignments", 6),
        ("Microsoft.EventGrid/topics", 1),
        ("Microsoft.Insights/actionGroups", 1),
        ("Microsoft.Insights/components", 1),
        ("Microsoft.Insights/scheduledQueryRules", 1),
        ("Microsoft.Insights/workbooks", 1),
        ("Microsoft.OperationalInsights/workspaces", 1),
        ("Microsoft.Storage/storageAccounts", 1),
        (
            "Microsoft.Storage/storageAccounts/blobServices/containers",
            3,
        ),
        ("Microsoft.Web/serverfarms", 1),
        ("Microsoft.Web/sites", 1),
        ("Microsoft.Web/sites/config", 1),
    ];
    let expected: BTreeMap<String, usize> =
        expected.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    assert_eq!(tf, expected);
}

#[test]
fn the_function_app_runs_the_custom_handler_on_flex_consumption_with_the_promised_roles() {
    let Some(checkov) = checkov() else { return };
    let inv = inventory(&checkov);
    let bicep = inv["bicep"].as_array().unwrap();
    let find = |name: &str| {
        bicep
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("bicep resource {name}"))
    };
    assert_eq!(find("plan")["config"]["sku"]["name"], "FC1");
    let site = &find("functionApp")["config"];
    assert_eq!(site["identity"]["type"], "SystemAssigned");
    assert_eq!(
        site["properties"]["functionAppConfig"]["runtime"]["name"],
        "custom"
    );
    assert_eq!(
        site["properties"]["functionAppConfig"]["runtime"]["version"],
        "1.0"
    );
    assert_eq!(
        site["properties"]["functionAppConfig"]["deployment"]["storage"]["authentication"]["type"],
        "SystemAssignedIdentity"
    );
    assert_eq!(
        find("appInsights")["config"]["properties"]["DisableLocalAuth"],
        true
    );
    let settings = &find("appSettings")["config"]["properties"];
    for key in [
        "AzureWebJobsStorage__accountName",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        "DRIFTSCAN_STORE",
        "AZURE_STORAGE_ACCOUNT_NAME",
        "DRIFTSCAN_REPORT_BASE_URL",
        "DRIFTSCAN_EVENTGRID_TOPIC_ENDPOINT",
    ] {
        assert!(
            settings.get(key).is_some(),
            "bicep app setting {key} missing"
        );
    }
    // The alert-event topic is optional (`eventGridTopic`), takes CloudEvents and no keys. checkov's
    // own checks do not see inside a conditional resource, so its settings are read here.
    let topic = &find("eventTopic")["config"];
    assert_eq!(topic["condition"], "eventGridTopic");
    assert_eq!(
        topic["config"]["properties"]["inputSchema"],
        "CloudEventSchemaV1_0"
    );
    assert_eq!(topic["config"]["properties"]["disableLocalAuth"], true);
    let sender = &find("eventSender")["config"];
    assert_eq!(sender["condition"], "eventGridTopic");
    assert_eq!(sender["config"]["scope"], "eventTopic");
    let principal = &sender["config"]["properties"]["principalId"]["operator"]["operands"];
    assert_eq!(
        (
            &principal["operand_1"],
            &principal["operand_2"]["operator"]["operands"]["operand_2"]
        ),
        (&Value::from("functionApp"), &Value::from("principalId")),
        "the topic's sender role goes to the app's identity: {sender}"
    );
    let rule = serde_json::to_string(&find("driftAlerts")["config"]).unwrap();
    for needle in [
        "customMetrics",
        "datadrift_coefficient",
        "customDimensions.detector",
        "GreaterThan",
        "d.threshold",
        "actionGroups",
    ] {
        assert!(
            rule.contains(needle),
            "bicep alert rule lacks {needle}: {rule}"
        );
    }

    let tf = inv["terraform"].as_array().unwrap();
    let find = |t: &str, name: &str| {
        tf.iter()
            .find(|r| r["type"] == t && r["name"] == name)
            .unwrap_or_else(|| panic!("terraform {t}.{name}"))
    };
    let site = serde_json::to_string(&find("azapi_resource", "function_app")["body"]).unwrap();
    for needle in [
        "\"custom\"",
        "\"1.0\"",
        "SystemAssignedIdentity",
        "SystemAssigned",
    ] {
        assert!(
            site.contains(needle),
            "terraform function app lacks {needle}: {site}"
        );
    }
    assert!(
        serde_json::to_string(&find("azapi_resource", "plan")["body"])
            .unwrap()
            .contains("FC1")
    );
    let roles: Vec<String> = tf
        .iter()
        .filter(|r| r["type"] == "azurerm_role_assignment")
        .map(|r| {
            r["body"]["role_definition_name"][0]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        roles,
        [
            "Storage Blob Data Owner",
            "Storage Blob Data Contributor",
            "Storage Blob Data Reader",
            // Spark jobs writing the day's profile (docs/spark.md): the driftscan container only.
            "Storage Blob Data Contributor",
            "Monitoring Metrics Publisher",
            // Alert events, when the optional topic is created.
            "EventGrid Data Sender"
        ]
    );
    let topic = &find("azurerm_eventgrid_topic", "events")["body"];
    assert!(
        topic["count"][0]
            .as_str()
            .unwrap()
            .contains("var.event_grid_topic")
    );
    assert_eq!(topic["input_schema"][0], "CloudEventSchemaV1_0");
    assert_eq!(topic["local_auth_enabled"][0], false);
    let settings = serde_json::to_string(&find("azapi_resource", "app_settings")["body"]).unwrap();
    assert!(
        settings.contains("DRIFTSCAN_EVENTGRID_TOPIC_ENDPOINT")
            && settings.contains("azurerm_eventgrid_topic.events[0].endpoint"),
        "terraform app settings lack the topic endpoint: {settings}"
    );
    let rule = serde_json::to_string(
        &find("azurerm_monitor_scheduled_query_rules_alert_v2", "drift")["body"],
    )
    .unwrap();
    for needle in [
        "customMetrics",
        "datadrift_coefficient",
        "customDimensions.detector",
        "GreaterThan",
        "each.value.threshold",
    ] {
        assert!(
            rule.contains(needle),
            "terraform alert rule lacks {needle}: {rule}"
        );
    }

    // The same role definitions by id in Bicep.
    let text = std::fs::read_to_string(root().join("infra/bicep/main.bicep")).unwrap()
        + &std::fs::read_to_string(root().join("infra/bicep/modules/container-reader.bicep"))
            .unwrap();
    for id in [
        "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
        "3913510d-42f4-4e42-8a64-420c390055eb",
        "d5a91429-5739-47e2-a06b-3470a27159e7",
    ] {
        assert!(
            text.contains(id),
            "role definition {id} not used in infra/bicep"
        );
    }
}

#[test]
fn terraform_files_are_formatted() {
    let Ok(out) = Command::new("terraform")
        .args(["fmt", "-check", "-recursive"])
        .arg(root().join("infra/terraform"))
        .output()
    else {
        eprintln!(
            "SKIPPED: terraform is not on PATH; `terraform fmt -check` not run (checkov still parses the files)"
        );
        return;
    };
    assert!(
        out.status.success(),
        "terraform fmt -check: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------- driftscan infra params

fn store_with_detectors() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("detectors");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("credit.json"), r#"{"name":"credit","model_name":"credit-model","model_version":2,"services":["svc"],
        "baseline":"b.csv","drift_threshold":0.25,"alert":{"emails":["credit-team@example.com","risk@example.com"]}}"#).unwrap();
    std::fs::write(
        dir.join("churn.json"),
        r#"{"name":"churn","model_name":"churn-model","model_version":1,"services":["svc"],
        "baseline":"b.csv","enabled":false}"#,
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "not a detector").unwrap();
    tmp
}

/// Runs `driftscan infra params ARGS --out FILE` in this process (the binary in a shared target
/// folder may be rebuilt by another checkout meanwhile) and returns the file, or the error chain
/// as `main` prints it.
fn infra_params(args: &[&str]) -> Result<String, String> {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut argv = vec!["driftscan", "infra", "params"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--out", out.path().to_str().unwrap()]);
    let cli = driftscan::cli::Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    match driftscan::cli::run(cli) {
        Ok(status) => {
            assert_eq!(status, driftscan::cli::ExitStatus::Success);
            Ok(std::fs::read_to_string(out.path()).unwrap())
        }
        Err(e) => Err(format!("{e:#}")),
    }
}

#[test]
fn infra_params_writes_bicepparam_from_stored_detectors() {
    let store = store_with_detectors();
    let text = infra_params(&[
        "--store",
        store.path().to_str().unwrap(),
        "--format",
        "bicepparam",
        "--app-name",
        "drift-demo",
        "--alert-email",
        "oncall@example.com",
    ])
    .unwrap();
    let body = text.split_once("using 'main.bicep'").expect("using line").1;
    assert_eq!(
        body,
        "

param appName = 'drift-demo'

param alertEmails = [
  'oncall@example.com'
]

param detectors = [
  {
    name: 'churn'
    threshold: '0.2'
    emails: []
  }
  {
    name: 'credit'
    threshold: '0.25'
    emails: [
      'credit-team@example.com'
      'risk@example.com'
    ]
  }
]
"
    );
    assert!(text.contains(
        "Disabled detectors keep their alert rule (no metrics arrive while disabled): churn."
    ));
}

#[test]
fn infra_params_writes_tfvars_that_parse_and_are_formatted() {
    let store = store_with_detectors();
    let out_file = store.path().join("drift.auto.tfvars");
    let text = infra_params(&[
        "--store",
        store.path().to_str().unwrap(),
        "--format",
        "tfvars",
        "--alert-email",
        "oncall@example.com",
    ])
    .unwrap();
    std::fs::write(&out_file, text).unwrap();

    if let Ok(fmt) = Command::new("terraform")
        .args(["fmt", "-check"])
        .arg(&out_file)
        .output()
    {
        assert!(
            fmt.status.success(),
            "generated tfvars not in terraform fmt style: {}",
            String::from_utf8_lossy(&fmt.stdout)
        );
    }
    let Some(checkov) = checkov() else { return };
    let python = checkov.with_file_name("python");
    let parsed = Command::new(python)
        .args([
            "-c",
            "import hcl2, json, sys; print(json.dumps(hcl2.load(open(sys.argv[1]))))",
        ])
        .arg(&out_file)
        .output()
        .unwrap();
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let v: Value = serde_json::from_slice(&parsed.stdout).unwrap();
    // This HCL parser wraps every top-level attribute value in a list.
    assert_eq!(
        v["alert_emails"][0],
        serde_json::json!(["oncall@example.com"])
    );
    let detectors = &v["detectors"][0];
    assert_eq!(detectors["credit"]["threshold"], 0.25);
    assert_eq!(
        detectors["credit"]["emails"],
        serde_json::json!(["credit-team@example.com", "risk@example.com"])
    );
    assert_eq!(detectors["churn"]["threshold"], 0.2);
}

#[test]
fn infra_params_rejects_bad_definitions_naming_file_and_value() {
    let store = store_with_detectors();
    std::fs::write(
        store.path().join("detectors/bad.json"),
        r#"{"name":"bad","model_name":"m","model_version":1,"services":["s"],"baseline":"b.csv","drift_threshold":3}"#,
    )
    .unwrap();
    let err = infra_params(&[
        "--store",
        store.path().to_str().unwrap(),
        "--format",
        "tfvars",
    ])
    .unwrap_err();
    assert!(
        err.contains("bad.json")
            && err.contains("field `drift_threshold`: `3` is not a number between 0 and 1"),
        "{err}"
    );

    let err = infra_params(&["--store", "/nonexistent/store", "--format", "tfvars"]).unwrap_err();
    assert!(
        err.contains("store folder `/nonexistent/store` does not exist"),
        "{err}"
    );
    let err = infra_params(&["--store", "/tmp", "--format", "yaml"]).unwrap_err();
    assert!(err.contains("invalid value 'yaml'"), "{err}");
}

// ---------------------------------------------------------------- dashboards

/// The workbook both IaC tools deploy (the `serializedData` of a `Microsoft.Insights/workbooks`).
const WORKBOOK: &str = "infra/workbook/driftscan.workbook.json";
/// The Grafana dashboard over `driftscan serve`'s `/metrics`.
const GRAFANA: &str = "dashboards/grafana/driftscan.json";
/// Microsoft's workbook template schema (tests/data/README.md says where it comes from).
const WORKBOOK_SCHEMA: &str = "tests/data/schema/workbook.json";

fn read_json(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

/// Every KQL query of a workbook's items, groups included: (step name, query), parameters named
/// `parameter <name>`.
fn workbook_queries(items: &Value, out: &mut Vec<(String, String)>) {
    for item in items.as_array().expect("workbook items") {
        let name = item["name"].as_str().unwrap_or("?").to_string();
        let content = &item["content"];
        match item["type"].as_i64() {
            Some(3) => out.push((
                name,
                content["query"].as_str().expect("query step").to_string(),
            )),
            Some(9) => {
                for p in content["parameters"].as_array().expect("parameters") {
                    if let Some(q) = p["query"].as_str() {
                        out.push((format!("parameter {}", p["name"]), q.to_string()));
                    }
                }
            }
            Some(12) => workbook_queries(&content["items"], out),
            _ => {}
        }
    }
}

/// The errors of `document` against a JSON schema (draft 7), from Python's `jsonschema` in the
/// test Python; `None` when that Python is missing and not required.
fn schema_errors(schema: &str, document: &Value) -> Option<Vec<String>> {
    let python = match std::env::var("DRIFTSCAN_PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            return crate::harness::component_missing(
                "the schema check's Python",
                "DRIFTSCAN_PYTHON is not set (a Python with jsonschema)",
            );
        }
    };
    let doc = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(doc.path(), serde_json::to_vec(document).unwrap()).unwrap();
    let script = r#"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
doc = json.load(open(sys.argv[2]))
errors = jsonschema.Draft7Validator(schema).iter_errors(doc)
print(json.dumps(["/".join(map(str, e.absolute_path)) + ": " + e.message for e in errors]))
"#;
    let out = Command::new(&python)
        .args(["-c", script])
        .arg(root().join(schema))
        .arg(doc.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{python}`: {e}"));
    assert!(
        out.status.success(),
        "schema check failed (is jsonschema installed? scripts/requirements-test.txt): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("a JSON list of errors"))
}

#[test]
fn the_workbook_is_a_valid_workbook_with_a_detector_and_a_time_range_picker() {
    let workbook = read_json(WORKBOOK);
    assert_eq!(workbook["version"], "Notebook/1.0");
    let items = &workbook["items"];
    let params: Vec<&Value> = items
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == 9)
        .flat_map(|i| i["content"]["parameters"].as_array().unwrap())
        .collect();
    let param = |name: &str| {
        *params
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("workbook parameter {name}"))
    };
    // Type 4 is a time range picker, type 2 a drop-down.
    assert_eq!(param("TimeRange")["type"], 4);
    let detector = param("Detector");
    assert_eq!(detector["type"], 2);
    let picker = detector["query"].as_str().unwrap();
    for needle in [
        "customMetrics",
        "tostring(customDimensions.detector)",
        "distinct",
    ] {
        assert!(
            picker.contains(needle),
            "detector picker lacks {needle}: {picker}"
        );
    }

    // Every step reads the picked detector over the picked time range.
    let mut steps = Vec::new();
    workbook_queries(items, &mut steps);
    assert!(steps.len() >= 8, "{steps:?}");
    let mut step_items = Vec::new();
    fn query_items<'a>(items: &'a Value, out: &mut Vec<&'a Value>) {
        for item in items.as_array().unwrap() {
            match item["type"].as_i64() {
                Some(3) => out.push(item),
                Some(12) => query_items(&item["content"]["items"], out),
                _ => {}
            }
        }
    }
    query_items(items, &mut step_items);
    for step in step_items {
        let c = &step["content"];
        assert_eq!(
            c["timeContextFromParameter"], "TimeRange",
            "{}",
            step["name"]
        );
        assert_eq!(
            c["resourceType"], "microsoft.insights/components",
            "{}",
            step["name"]
        );
        assert!(
            c["query"]
                .as_str()
                .unwrap()
                .contains(r#"tostring(customDimensions.detector) == "{Detector}""#),
            "step {} does not filter on the picked detector",
            step["name"]
        );
    }

    let Some(errors) = schema_errors(WORKBOOK_SCHEMA, &workbook) else {
        return;
    };
    assert!(
        errors.is_empty(),
        "{WORKBOOK} against the workbook schema: {errors:#?}"
    );
    // The schema does catch a broken step (a query that is not text, a step without content).
    let mut broken = workbook.clone();
    let first_query = broken["items"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|i| i["type"] == 3)
        .unwrap();
    first_query["content"]["query"] = Value::from(42);
    let errors = schema_errors(WORKBOOK_SCHEMA, &broken).unwrap();
    assert!(!errors.is_empty(), "a numeric query passed the schema");
    broken["items"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"type": 1}));
    assert!(schema_errors(WORKBOOK_SCHEMA, &broken).unwrap().len() >= 2);
}

/// The `name` literals a KQL query compares with (`name == "x"`, `name != "x"`,
/// `name in ("x", "y")`), each with the table the comparison filters: the last of
/// `customMetrics` / `customEvents` named before it.
fn kql_names(query: &str) -> Vec<(&'static str, String)> {
    let compare = regex::Regex::new(r#"\bname\s*(==|!=|in\s*\(([^)]*)\))\s*("([^"]*)")?"#).unwrap();
    let literal = regex::Regex::new(r#""([^"]*)""#).unwrap();
    let mut out = Vec::new();
    for m in compare.captures_iter(query) {
        let at = m.get(0).unwrap().start();
        let before = &query[..at];
        let table = match (before.rfind("customMetrics"), before.rfind("customEvents")) {
            (Some(a), Some(b)) if a > b => "customMetrics",
            (Some(_), None) => "customMetrics",
            (_, Some(_)) => "customEvents",
            (None, None) => panic!("a name comparison before any table: {query}"),
        };
        let values: Vec<String> = match (m.get(2), m.get(4)) {
            (Some(list), _) => literal
                .captures_iter(list.as_str())
                .map(|c| c[1].to_string())
                .collect(),
            (None, Some(v)) => vec![v.as_str().to_string()],
            (None, None) => panic!("`name` compared with something other than a literal: {query}"),
        };
        assert!(!values.is_empty(), "empty `name in ()`: {query}");
        out.extend(values.into_iter().map(|v| (table, v)));
    }
    out
}

#[test]
fn kql_names_reads_every_form_of_name_comparison() {
    let q = r#"union (customMetrics | where name == "a" or name in ("b", "c")),
        (customEvents | where name != "E") | where isnotempty(x)"#;
    assert_eq!(
        kql_names(q),
        [
            ("customMetrics", "a".to_string()),
            ("customMetrics", "b".to_string()),
            ("customMetrics", "c".to_string()),
            ("customEvents", "E".to_string()),
        ]
    );
}

#[test]
fn the_workbook_queries_only_metrics_and_events_driftscan_sends() {
    let workbook = read_json(WORKBOOK);
    let mut queries = Vec::new();
    workbook_queries(&workbook["items"], &mut queries);
    let metrics = driftscan::sinks::series::emitted_metric_names();
    let events = [driftscan::sinks::RUN_EVENT, driftscan::sinks::DRIFT_EVENT];
    // The dimensions and measurements the sender attaches (src/sinks: metric points, the run
    // event, the drift event).
    let dimensions: Vec<&str> = driftscan::sinks::DIMENSIONS
        .into_iter()
        .chain([
            "feature",
            "signal",
            "threshold",
            "status",
            "reason",
            "top_features",
            "failed_signals",
            "report_url",
        ])
        .collect();
    let measurements = [
        "duration_seconds",
        "datadrift_coefficient",
        "drift_threshold",
    ];
    let dimension = regex::Regex::new(r"customDimensions\.([A-Za-z0-9_]+)").unwrap();
    let measurement = regex::Regex::new(r"customMeasurements\.([A-Za-z0-9_]+)").unwrap();
    let tables = regex::Regex::new(
        r"\b(customMetrics|customEvents|requests|traces|exceptions|dependencies|pageViews|availabilityResults)\b",
    )
    .unwrap();
    let mut named = BTreeMap::<&str, Vec<String>>::new();
    for (step, query) in &queries {
        for t in tables.captures_iter(query) {
            assert!(
                matches!(&t[1], "customMetrics" | "customEvents"),
                "step {step} reads {}, which driftscan does not write",
                &t[1]
            );
        }
        for (table, name) in kql_names(query) {
            match table {
                "customMetrics" => assert!(
                    metrics.contains(&name),
                    "step {step} reads metric `{name}`, which driftscan never sends"
                ),
                _ => assert!(
                    events.contains(&name.as_str()),
                    "step {step} reads event `{name}`; driftscan sends {events:?}"
                ),
            }
            named.entry(table).or_default().push(name);
        }
        for d in dimension.captures_iter(query) {
            assert!(
                dimensions.contains(&&d[1]),
                "step {step} reads customDimensions.{}, which driftscan does not set",
                &d[1]
            );
        }
        for m in measurement.captures_iter(query) {
            assert!(
                measurements.contains(&&m[1]),
                "step {step} reads customMeasurements.{}, which driftscan does not set",
                &m[1]
            );
        }
    }
    // What the workbook promises to show.
    for metric in [
        "datadrift_coefficient",
        "datadrift_contribution",
        "signal_failed",
    ] {
        assert!(
            named["customMetrics"].iter().any(|n| n == metric),
            "no step reads {metric}"
        );
    }
    for event in events {
        assert!(
            named["customEvents"].iter().any(|n| n == event),
            "no step reads {event}"
        );
    }
    assert!(
        queries
            .iter()
            .any(|(_, q)| q.contains(driftscan::sinks::RUN_EVENT)
                && q.contains(r#""failed""#)
                && q.contains(r#""no_data""#)),
        "no step lists failed and no-data runs"
    );
    assert!(
        queries
            .iter()
            .any(|(_, q)| q.contains("datadrift_coefficient") && q.contains("drift_threshold")),
        "no step draws the coefficient against its threshold"
    );
}

#[test]
fn bicep_and_terraform_both_deploy_the_workbook_from_its_one_file() {
    let Some(checkov) = checkov() else { return };
    let inv = inventory(&checkov);
    let workbook = root().join(WORKBOOK).canonicalize().unwrap();

    let bicep = inv["bicep"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "Microsoft.Insights/workbooks")
        .expect("a workbook in infra/bicep");
    let config = &bicep["config"];
    assert_eq!(config["kind"], "shared");
    let props = &config["properties"];
    assert_eq!(props["category"], "workbook");
    assert_eq!(
        props["sourceId"]["operator"]["operands"],
        serde_json::json!({"operand_1": "appInsights", "operand_2": "id"}),
        "the workbook belongs to the Application Insights resource: {props}"
    );
    let load = &props["serializedData"]["function"];
    assert_eq!(load["type"], "load_text_content", "{props}");
    let file = bicep["file"].as_str().unwrap();
    let bicep_dir = root().join("infra/bicep").join(file);
    let loaded = bicep_dir
        .parent()
        .unwrap()
        .join(load["parameters"]["file_path"].as_str().unwrap());
    assert_eq!(loaded.canonicalize().unwrap(), workbook);

    let tf = inv["terraform"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "azurerm_application_insights_workbook")
        .expect("a workbook in infra/terraform");
    let body = &tf["body"];
    assert_eq!(body["category"][0], "workbook");
    assert!(
        body["source_id"][0]
            .as_str()
            .unwrap()
            .contains("azurerm_application_insights.ai.id"),
        "{body}"
    );
    let data = body["data_json"][0].as_str().unwrap();
    let path = regex::Regex::new(r#"file\("\$\{path\.module\}/([^"]+)"\)"#)
        .unwrap()
        .captures(data)
        .unwrap_or_else(|| panic!("data_json is not file(\"${{path.module}}/...\"): {data}"));
    assert_eq!(
        root()
            .join("infra/terraform")
            .join(&path[1])
            .canonicalize()
            .unwrap(),
        workbook
    );
}

/// The Prometheus families of `driftscan serve`'s `/metrics` (docs/sinks.md): a gauge per metric
/// the runs send, the threshold, the run counter, the duration histogram and the last run times.
fn prometheus_families() -> Vec<String> {
    let mut families: Vec<String> = driftscan::sinks::series::emitted_metric_names()
        .iter()
        .map(|n| driftscan::sinks::series::prometheus_name(n))
        .collect();
    families.push(driftscan::sinks::series::prometheus_name("drift_threshold"));
    for f in [
        "driftscan_runs_total",
        "driftscan_run_duration_seconds_bucket",
        "driftscan_run_duration_seconds_sum",
        "driftscan_run_duration_seconds_count",
        "driftscan_last_run_timestamp_seconds",
    ] {
        families.push(f.to_string());
    }
    families
}

/// Every PromQL expression of a Grafana dashboard: panel targets (rows' panels included) and
/// query variables.
fn grafana_exprs(dashboard: &Value) -> Vec<(String, String)> {
    fn panels(list: &Value, out: &mut Vec<(String, String)>) {
        for p in list.as_array().into_iter().flatten() {
            let title = p["title"].as_str().unwrap_or("?").to_string();
            for t in p["targets"].as_array().into_iter().flatten() {
                out.push((title.clone(), t["expr"].as_str().unwrap_or("").to_string()));
            }
            panels(&p["panels"], out);
        }
    }
    let mut out = Vec::new();
    panels(&dashboard["panels"], &mut out);
    for v in dashboard["templating"]["list"].as_array().unwrap() {
        if v["type"] == "query" {
            let q = v["query"]["query"]
                .as_str()
                .or(v["query"].as_str())
                .unwrap();
            out.push((format!("variable {}", v["name"]), q.to_string()));
        }
    }
    out
}

#[test]
fn the_grafana_dashboard_reads_only_driftscan_families_through_its_datasource_variable() {
    let dashboard = read_json(GRAFANA);
    let families = prometheus_families();
    for name in [
        "driftscan_datadrift_coefficient",
        "driftscan_datadrift_contribution",
        "driftscan_signal_failed",
        "driftscan_performance_accuracy",
        "driftscan_drift_threshold",
    ] {
        assert!(
            families.iter().any(|f| f == name),
            "{name} not in the contract"
        );
    }

    let vars = dashboard["templating"]["list"].as_array().unwrap();
    let var = |name: &str| {
        vars.iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("dashboard variable {name}"))
    };
    assert_eq!(var("datasource")["type"], "datasource");
    assert_eq!(var("datasource")["query"], "prometheus");
    assert_eq!(var("detector")["type"], "query");
    assert_eq!(
        var("detector")["query"]["query"],
        "label_values(driftscan_datadrift_coefficient, detector)"
    );
    assert_eq!(var("detector")["datasource"]["uid"], "${datasource}");

    let exprs = grafana_exprs(&dashboard);
    assert!(exprs.len() >= 8, "{exprs:?}");
    let family = regex::Regex::new(r"\b(driftscan_[A-Za-z0-9_]*)").unwrap();
    let labels = regex::Regex::new(r#"([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*""#).unwrap();
    let grouping = regex::Regex::new(r"\b(?:by|without)\s*\(([^)]*)\)").unwrap();
    let known_labels = ["detector", "service", "feature", "signal", "status", "le"];
    let mut used = std::collections::BTreeSet::new();
    for (panel, expr) in &exprs {
        let names: Vec<&str> = family
            .captures_iter(expr)
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        assert!(
            !names.is_empty(),
            "{panel}: `{expr}` reads no driftscan family"
        );
        assert!(
            !expr.contains("__name__"),
            "{panel}: `{expr}` selects by name pattern"
        );
        for n in names {
            assert!(
                families.iter().any(|f| f == n),
                "{panel}: `{expr}` reads {n}, which `driftscan serve` does not expose"
            );
            used.insert(n.to_string());
        }
        let label_names = labels.captures_iter(expr).map(|c| c[1].to_string()).chain(
            grouping.captures_iter(expr).flat_map(|c| {
                c[1].split(',')
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
            }),
        );
        for l in label_names {
            assert!(
                known_labels.contains(&l.as_str()),
                "{panel}: `{expr}` uses label {l}, which the families do not carry"
            );
        }
        if !panel.starts_with("variable ") {
            assert!(
                expr.contains(r#"detector=~"$detector""#),
                "{panel}: `{expr}` ignores the detector variable"
            );
        }
    }
    for needed in [
        "driftscan_datadrift_coefficient",
        "driftscan_drift_threshold",
        "driftscan_datadrift_contribution",
        "driftscan_signal_failed",
        "driftscan_runs_total",
        "driftscan_run_duration_seconds_bucket",
    ] {
        assert!(used.contains(needed), "no panel reads {needed}");
    }
    assert!(
        exprs
            .iter()
            .any(|(_, e)| e.contains("topk(") && e.contains("driftscan_datadrift_contribution")),
        "no panel ranks the top features"
    );
    assert!(
        exprs.iter().any(|(_, e)| e.contains("histogram_quantile(")),
        "no panel shows run duration quantiles"
    );

    // Every panel and every query goes through the datasource variable, none to a fixed source.
    fn check_panels(list: &Value) {
        for p in list.as_array().into_iter().flatten() {
            if p["type"] != "row" {
                assert_eq!(
                    p["datasource"]["uid"], "${datasource}",
                    "panel {}",
                    p["title"]
                );
                assert_eq!(
                    p["datasource"]["type"], "prometheus",
                    "panel {}",
                    p["title"]
                );
                for t in p["targets"].as_array().unwrap() {
                    assert_eq!(
                        t["datasource"]["uid"], "${datasource}",
                        "panel {}",
                        p["title"]
                    );
                }
            }
            check_panels(&p["panels"]);
        }
    }
    check_panels(&dashboard["panels"]);
    let text = std::fs::read_to_string(root().join(GRAFANA)).unwrap();
    assert!(
        !text.contains("${DS_"),
        "the dashboard needs import-time inputs; it should use the datasource variable"
    );
}
