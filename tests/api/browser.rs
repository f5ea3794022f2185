//! The browser harness: Debian's Chromium, driven over WebDriver (chromedriver) with fantoccini,
//! against the real server, plus axe-core for accessibility and screenshots for the README.
//!
//! Without `chromium` and `chromedriver` on the machine the browser tests are skipped with a
//! message (`make test` says so too), unless `PENKOM_REQUIRE_BROWSER` is set, as CI sets it: then
//! a missing browser fails the run. One browser runs at a time: Chromium is heavy, the machine
//! has two cores, and the API tests run beside it.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The viewport: the narrowest phone the pages are made for.
pub const WIDTH: u32 = 360;
pub const HEIGHT: u32 = 780;

static ONE_AT_A_TIME: std::sync::LazyLock<std::sync::Arc<Semaphore>> =
    std::sync::LazyLock::new(|| std::sync::Arc::new(Semaphore::new(1)));

fn find_binary(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Ok(p) = std::env::var(env) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    names.iter().flat_map(|n| std::env::split_paths(&path).map(move |d| d.join(n))).find(|p| p.is_file())
}

fn required() -> bool {
    std::env::var_os("PENKOM_REQUIRE_BROWSER").is_some_and(|v| !v.is_empty() && v != "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A browser for one test. Dropping it stops chromedriver (and with it Chromium).
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    _turn: OwnedSemaphorePermit,
    base: String,
}

impl Drop for Browser {
    /// Stops chromedriver and every Chromium process it started: they share its process group.
    /// (Killing chromedriver alone leaves Chromium running, idle but not free, and a test run
    /// would leave one behind per browser test.)
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.driver.id())]).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `chromium/network_conditions`, chromedriver's own command: what a dropped connection is.
#[derive(Debug)]
struct NetworkConditions(Option<bool>);

impl fantoccini::wd::WebDriverCompatibleCommand for NetworkConditions {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/chromium/network_conditions", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        match self.0 {
            Some(offline) => (
                http::Method::POST,
                Some(
                    json!({"network_conditions": {"offline": offline, "latency": 0,
                        "download_throughput": -1, "upload_throughput": -1}})
                    .to_string(),
                ),
            ),
            None => (http::Method::DELETE, None),
        }
    }
}

impl Browser {
    /// A headless Chromium at [`WIDTH`] × [`HEIGHT`], pointed at `base`; `None` (after saying
    /// why) where there is none and none is required.
    pub async fn start(test: &str, base: &str) -> Option<Self> {
        let chromium = find_binary("PENKOM_CHROMIUM", &["chromium", "chromium-browser"]);
        let driver = find_binary("PENKOM_CHROMEDRIVER", &["chromedriver"]);
        let (Some(chromium), Some(driver)) = (chromium, driver) else {
            assert!(!required(), "PENKOM_REQUIRE_BROWSER is set but chromium or chromedriver is missing");
            eprintln!(
                "SKIPPED browser test {test}: chromium or chromedriver not found \
                 (apt-get install -y chromium chromium-driver)"
            );
            return None;
        };
        let turn = ONE_AT_A_TIME.clone().acquire_owned().await.unwrap();
        let port = free_port();
        let driver = Command::new(driver)
            .arg(format!("--port={port}"))
            // Its own process group, which Chromium joins, so that all of them stop together.
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        // Headless as root in a sandbox-less container; no background traffic (this machine's
        // network is closed, and every refused connection slows Chromium down).
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-features=Translate,MediaRouter".into(),
            "--lang=id-ID".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            // A phone's viewport, exactly (a desktop window has a minimum width), at twice the
            // pixel density so the README's pictures are sharp.
            json!({ "binary": chromium.display().to_string(), "args": args,
                "mobileEmulation": { "deviceMetrics": { "width": WIDTH, "height": HEIGHT, "pixelRatio": 2, "touch": false } } }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
                Ok(c) => break c,
                Err(e) if started.elapsed() < Duration::from_secs(20) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot start Chromium through chromedriver: {e}"),
            }
        };
        Some(Self { client, driver, _profile: profile, _turn: turn, base: base.to_string() })
    }

    pub async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Clicks what leads to another page (a link, a form's button) and waits for that page.
    pub async fn follow(&self, css: &str) {
        self.js("window.__penkomStay = true;").await;
        self.click(css).await;
        let next = "!window.__penkomStay && document.readyState === 'complete'";
        self.wait_until(&format!("the page after {css}"), next, Duration::from_secs(15), false).await;
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let e = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        e.clear().await.unwrap();
        e.send_keys(value).await.unwrap();
    }

    /// Waits until `script` (an expression) is truthy in the page, moving the pointer meanwhile
    /// if `interact`, as a learner reading would. Panics after `within`.
    pub async fn wait_until(&self, what: &str, script: &str, within: Duration, interact: bool) {
        let started = Instant::now();
        let mut x = 10.0;
        loop {
            // A page being replaced cannot run scripts for a moment: that is "not yet".
            let done = self.client.execute(&format!("return !!({script});"), vec![]).await.ok();
            if done == Some(Value::Bool(true)) {
                return;
            }
            assert!(started.elapsed() < within, "timed out waiting for {what} ({script})");
            if interact {
                x = if x > 200.0 { 10.0 } else { x + 37.0 };
                self.pointer_to(x, 300.0).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Real pointer input, through the browser's own input pipeline.
    pub async fn pointer_to(&self, x: f64, y: f64) {
        let mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveTo { duration: None, x, y });
        self.client.perform_actions(mouse).await.unwrap();
    }

    /// Takes the connection away from the page (`true`) or gives it back.
    pub async fn offline(&self, offline: bool) {
        self.client.issue_cmd(NetworkConditions(Some(offline))).await.unwrap();
        if !offline {
            self.client.issue_cmd(NetworkConditions(None)).await.unwrap();
        }
    }

    /// Runs axe-core on the page and fails with every violation (and every contrast check axe
    /// could not decide: on pages this plain, undecided means a colour is wrong), and checks that nothing is
    /// wider than the viewport (a page that scrolls sideways on a phone is broken).
    pub async fn check_accessible(&self, page: &str) {
        let wide = self.js("return document.documentElement.scrollWidth - window.innerWidth;").await;
        assert!(wide.as_i64().unwrap_or(0) <= 0, "{page} is {wide} px wider than a {WIDTH} px screen");
        let Some(axe) = axe_source() else { return };
        self.client.execute(&axe, vec![]).await.unwrap();
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document)
                    .then(r => done(r.violations.concat(r.incomplete.filter(v => v.id === 'color-contrast'))
                        .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary) }))))
                    .catch(e => done([{ id: 'axe-error', help: String(e), nodes: [] }]));",
                vec![],
            )
            .await
            .unwrap();
        let violations = found.as_array().cloned().unwrap_or_default();
        assert!(
            violations.is_empty(),
            "axe-core found violations on {page}: {}",
            serde_json::to_string_pretty(&found).unwrap()
        );
    }

    /// Saves what the screen shows as `{name}.png`, in `PENKOM_SCREENSHOTS` (the README's
    /// pictures are taken so) or `target/screenshots`.
    pub async fn screenshot(&self, name: &str) {
        let dir = std::env::var_os("PENKOM_SCREENSHOTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"));
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// The value of the session cookie, to fetch a download the way the browser would.
    pub async fn session_cookie(&self) -> String {
        let cookies = self.client.get_all_cookies().await.unwrap();
        let c = cookies.iter().find(|c| c.name() == "penkom_sesi").expect("a session cookie");
        format!("penkom_sesi={}", c.value())
    }
}

/// axe-core's script, installed by `npm ci --prefix tests/browser`.
fn axe_source() -> Option<String> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(_) => {
            assert!(
                !required(),
                "axe-core is missing at {}: run `npm ci --prefix tests/browser`",
                path.display()
            );
            eprintln!("axe-core not installed ({}); accessibility checks skipped", path.display());
            None
        }
    }
}
