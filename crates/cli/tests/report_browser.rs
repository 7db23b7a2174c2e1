//! The HTML report in a real browser: Debian's `chromium`, headless, driven over the Chrome
//! DevTools Protocol on 127.0.0.1. The report of the bundled examples must load without console
//! errors, script exceptions or any other resource load (it is one self-contained file), and
//! its score and a failing requirement must be visible in the rendered page.
//!
//! Without a browser the tests print a loud skip message and pass, unless
//! `KUBECOMPLY_REQUIRE_BROWSER=1` (set by `.ci/run`), which makes them fail. The browser is
//! `$KUBECOMPLY_CHROMIUM`, else `chromium` or `chromium-browser` on `PATH`.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KUBECOMPLY_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// The browser, or `None` after a loud skip message (a panic when a browser is required).
fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    match find_chromium() {
        Some(p) => Some(p),
        None if std::env::var("KUBECOMPLY_REQUIRE_BROWSER").as_deref() == Ok("1") => {
            panic!("{test}: chromium not found and KUBECOMPLY_REQUIRE_BROWSER=1")
        }
        None => {
            // Straight to the process's stderr: libtest captures `eprintln!` of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                 SKIPPED {test}: no chromium on PATH (apt-get install chromium).\n\
                 Set KUBECOMPLY_REQUIRE_BROWSER=1 to make this a failure.\n\
                 !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
            );
            None
        }
    }
}

/// A headless browser and one DevTools session on a blank page.
struct Browser {
    child: Child,
    ws: WebSocket<TcpStream>,
    session: String,
    next_id: u64,
    /// Every event received so far (method, params).
    events: Vec<(String, Value)>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    fn launch(chromium: &Path, profile: &Path) -> Browser {
        let mut child = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--window-size=1280,1600",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        // Chromium prints "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID".
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(i) = line.find("ws://") {
                    let _ = tx.send(line[i..].trim().to_string());
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(u) => u,
            Err(_) => {
                let _ = child.kill();
                panic!("chromium printed no DevTools address within 60 s");
            }
        };
        let hostport = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .expect("host:port")
            .to_string();
        let stream = TcpStream::connect(&hostport).expect("connect to DevTools");
        // A stuck browser fails the test instead of hanging it.
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        let (ws, _) = tungstenite::client(url.as_str(), stream).expect("websocket handshake");
        let mut b = Browser {
            child,
            ws,
            session: String::new(),
            next_id: 0,
            events: Vec::new(),
        };
        let target = b.call("Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().expect("targetId").to_string();
        let attached = b.call(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        );
        b.session = attached["sessionId"]
            .as_str()
            .expect("sessionId")
            .to_string();
        for domain in [
            "Runtime.enable",
            "Log.enable",
            "Network.enable",
            "Page.enable",
        ] {
            b.call(domain, json!({}));
        }
        b
    }

    /// Sends a command (to the page session once attached) and returns its result; events
    /// received meanwhile are recorded.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            msg["sessionId"] = json!(self.session);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .expect("send to DevTools");
        loop {
            let v = self.read();
            if v["id"] == id {
                if let Some(e) = v.get("error") {
                    panic!("{method}: {e}");
                }
                return v["result"].clone();
            }
        }
    }

    fn read(&mut self) -> Value {
        loop {
            match self.ws.read().expect("read from DevTools") {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(t.as_str()).expect("CDP JSON");
                    if let Some(m) = v["method"].as_str() {
                        self.events.push((m.to_string(), v["params"].clone()));
                    }
                    return v;
                }
                Message::Close(_) => panic!("DevTools closed the connection"),
                _ => {}
            }
        }
    }

    /// Opens `url` and waits for its load event.
    fn open(&mut self, url: &str) {
        let seen = self.events.len();
        self.call("Page.navigate", json!({"url": url}));
        while !self.events[seen..]
            .iter()
            .any(|(m, _)| m == "Page.loadEventFired")
        {
            self.read();
        }
        // A round trip so events emitted during load are in.
        self.eval("1");
    }

    fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expr}: {r}");
        r["result"]["value"].clone()
    }

    /// Console errors, uncaught exceptions, failed loads and loads of anything but the page
    /// itself (the report must be self-contained), as readable lines.
    fn problems(&self, page: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (m, p) in &self.events {
            match m.as_str() {
                "Runtime.consoleAPICalled" if p["type"] == "error" || p["type"] == "assert" => out
                    .push(format!(
                        "console.{}: {}",
                        p["type"].as_str().unwrap_or(""),
                        p["args"]
                    )),
                "Runtime.exceptionThrown" => out.push(format!(
                    "exception: {}",
                    p["exceptionDetails"]["exception"]["description"]
                )),
                "Log.entryAdded" if p["entry"]["level"] == "error" => {
                    out.push(format!("log: {}", p["entry"]["text"]))
                }
                "Network.loadingFailed" => out.push(format!("load failed: {}", p["errorText"])),
                "Network.requestWillBeSent" => {
                    let url = p["request"]["url"].as_str().unwrap_or("");
                    if url != page && !url.starts_with("data:") && url != "about:blank" {
                        out.push(format!("external load: {url}"));
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// Visible text of the first element matching `selector` (empty when none or hidden).
const VISIBLE: &str = r#"(sel) => {
  const e = document.querySelector(sel);
  if (!e) return "";
  const r = e.getBoundingClientRect();
  const shown = (e.checkVisibility ? e.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) : true);
  return (shown && r.width > 0 && r.height > 0) ? (e.innerText || e.textContent || "") : "";
}"#;

#[test]
fn html_report_renders_without_errors_and_shows_score_and_failures() {
    let Some(chromium) = chromium_or_skip("html_report_renders_without_errors") else {
        return;
    };
    let dir = temp_dir("report");
    let html = dir.join("report.html");
    let json_out = kubecomply()
        .args([
            "report",
            "--framework",
            "pci-dss",
            "--config",
            "examples/.kubecomply.yaml",
        ])
        .args(["--format", "json", "examples"])
        .output()
        .expect("runs");
    let doc: Value = serde_json::from_slice(&json_out.stdout).expect("json report");
    let st = kubecomply()
        .args([
            "report",
            "--framework",
            "pci-dss",
            "--config",
            "examples/.kubecomply.yaml",
        ])
        .args(["--format", "html", "-o"])
        .arg(&html)
        .arg("examples")
        .status()
        .expect("runs");
    assert_eq!(st.code(), Some(1));
    // The expected score text and a failing leaf requirement, from the JSON report.
    let score = format!(
        "{:.1}%",
        doc["frameworks"][0]["score"].as_f64().expect("score")
    );
    fn first_failing_leaf(r: &Value) -> Option<String> {
        for q in r.as_array()? {
            match q.get("requirements") {
                Some(c) => {
                    if let Some(id) = first_failing_leaf(c) {
                        return Some(id);
                    }
                }
                None if q["status"] == "fail" => return q["id"].as_str().map(String::from),
                None => {}
            }
        }
        None
    }
    let failing =
        first_failing_leaf(&doc["frameworks"][0]["requirements"]).expect("a failing requirement");

    let mut b = Browser::launch(&chromium, &dir.join("profile"));
    let url = format!("file://{}", html.display());
    b.open(&url);
    let problems = b.problems(&url);
    assert!(problems.is_empty(), "{problems:?}");

    let gauge = b.eval(&format!("({VISIBLE})('svg.gauge')"));
    assert!(
        gauge.as_str().is_some_and(|t| t.contains(&score)),
        "score {score} not visible in the gauge: {gauge}"
    );
    // The failing requirement's summary line is rendered, visible, with its fail badge.
    let summary = b.eval(&format!(
        "(() => {{ const v = {VISIBLE}; \
           const s = [...document.querySelectorAll('li > details > summary')]\
             .find(s => s.querySelector('strong')?.textContent === {id}); \
           if (!s) return ''; s.id = 'kc-probe'; return v('#kc-probe'); }})()",
        id = Value::String(failing.clone())
    ));
    let summary = summary.as_str().unwrap_or("");
    assert!(
        summary.contains(&failing) && summary.contains("fail"),
        "failing requirement {failing} not visible: {summary:?}"
    );
    // Its failing-resources table is open and visible, not only in the source.
    let body = b.eval("document.body.innerText");
    let body = body.as_str().unwrap_or("");
    assert!(
        body.contains("Failing resources"),
        "no visible failing resources"
    );
    assert!(body.contains(&score));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Negative control: a page with a script error, a console error and a missing image is
/// caught by the same detection.
#[test]
fn error_detection_catches_a_broken_page() {
    let Some(chromium) = chromium_or_skip("error_detection_catches_a_broken_page") else {
        return;
    };
    let dir = temp_dir("broken");
    let page = dir.join("broken.html");
    std::fs::write(
        &page,
        "<!doctype html><title>broken</title><img src=\"missing.png\">\
         <script>console.error('deliberate'); undefinedFunction();</script>",
    )
    .expect("write page");
    let mut b = Browser::launch(&chromium, &dir.join("profile"));
    let url = format!("file://{}", page.display());
    b.open(&url);
    let problems = b.problems(&url);
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("console.error") && p.contains("deliberate")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("undefinedFunction")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("missing.png") || p.starts_with("load failed")),
        "{problems:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
