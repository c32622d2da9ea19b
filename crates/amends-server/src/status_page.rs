//! The public status page: `GET /status` (HTML, no script), `/status.json`, `/status.atom`
//! (Atom 1.0), email subscriptions by component with double opt-in and one-click unsubscribe
//! (RFC 8058), and private per-account pages that show only what touched that account.
//! Issuing a private page link is an admin route of the API.
//!
//! The pages show what the `status_page` channel posted (`amends_delivery::status_page`):
//! nothing an incident has not announced publicly, except its live lifecycle state (an
//! incident resolved since its last post reads as resolved, not as still investigating).
//!
//! Links in emails are built from the configured public URL, never from a request's Host
//! header. Without status page settings (an `Extension<Arc<StatusPageSettings>>` on the app)
//! the pages still work, with relative links, and subscribing is off (404).
//!
//! Every token in a path is looked up by its SHA-256 in the store; a malformed, unknown, used
//! or expired one is a 404 problem, the same for each, so a response tells nothing about
//! which tokens exist.

use std::sync::Arc;

use amends_delivery::status_page::{
    CONFIRMATION_RESEND_MS, CONFIRMATION_VALID_MS, PostState, Situation, StatusPageSettings,
    components, confirmation_email, parse_address,
};
use amends_delivery::statuspage::component_status;
use amends_store::{NewSubscription, StatusPost, Store, SubscribeLimits, SubscribeOutcome};
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{Caller, Role};
use crate::body::{BODY_LIMIT, Json};
use crate::error::{ApiError, FieldError, Problem};

/// The status page's settings, when the server has them.
type Settings = Option<Extension<Arc<StatusPageSettings>>>;

/// Incidents shown on the public page (the most recently posted).
const PAGE_INCIDENTS: usize = 25;
/// Posts read to find them.
const PAGE_POSTS: i64 = 500;
/// Entries of the Atom feed.
const FEED_ENTRIES: i64 = 50;
/// Components one subscription may name.
const MAX_COMPONENTS: usize = 50;

/// The status page's routes, merged into [`crate::app`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/status", get(page))
        .route("/status.json", get(page_json))
        .route("/status.atom", get(feed))
        .route("/status/subscribe", post(subscribe))
        .route("/status/confirm/{token}", get(confirm_form).post(confirm))
        .route(
            "/status/unsubscribe/{token}",
            get(unsubscribe_form).post(unsubscribe),
        )
        .route("/status/private/{token}", get(private_page))
        .route(
            "/v1/accounts/{id}/status-page-token",
            post(issue_private_token),
        )
}

// ----- what the pages show -----------------------------------------------------------------

/// An incident as the page shows it.
struct Shown {
    id: String,
    title: String,
    state: PostState,
    failure_type: String,
    components: Vec<String>,
    /// Newest first.
    posts: Vec<StatusPost>,
}

impl Shown {
    fn started_ms(&self) -> Option<i64> {
        self.posts.iter().map(|p| p.posted_ms).min()
    }

    fn updated_ms(&self) -> Option<i64> {
        self.posts.iter().map(|p| p.posted_ms).max()
    }
}

/// An incident with its posts and live state; `None` when it has no post.
async fn shown(
    store: &Store,
    incident: &str,
    monitoring: jiff::SignedDuration,
    now: Timestamp,
) -> Result<Option<Shown>, ApiError> {
    let mut posts = store.status_posts_of(incident).await?;
    let Some(last) = posts.last() else {
        return Ok(None);
    };
    let situation = Situation::load(store, incident).await?;
    let state = situation.state(&last.step, now, monitoring);
    let title = last.title.clone();
    let components = last.components.clone();
    posts.reverse();
    Ok(Some(Shown {
        id: incident.to_string(),
        title,
        state,
        failure_type: situation.failure_type,
        components,
        posts,
    }))
}

fn monitoring(settings: &Settings) -> jiff::SignedDuration {
    settings.as_ref().map_or_else(
        || jiff::SignedDuration::from_hours(1),
        |Extension(s)| s.monitoring(),
    )
}

fn title(settings: &Settings) -> String {
    settings.as_ref().map_or_else(
        || "Service status".to_string(),
        |Extension(s)| s.title.clone(),
    )
}

/// A link to `path`: absolute when the public URL is known.
fn link(settings: &Settings, path: &str) -> String {
    settings
        .as_ref()
        .map_or_else(|| path.to_string(), |Extension(s)| s.link(path))
}

/// The public page's incidents, most recently posted first.
async fn public_incidents(
    store: &Store,
    settings: &Settings,
    now: Timestamp,
) -> Result<Vec<Shown>, ApiError> {
    let mut ids: Vec<String> = Vec::new();
    for p in store.recent_status_posts(PAGE_POSTS).await? {
        if !ids.contains(&p.incident_id) && ids.len() < PAGE_INCIDENTS {
            ids.push(p.incident_id);
        }
    }
    let mut out = Vec::new();
    for id in ids {
        if let Some(s) = shown(store, &id, monitoring(settings), now).await? {
            out.push(s);
        }
    }
    Ok(out)
}

/// Every component readers can subscribe to: the features of the playbook's services and
/// of every posted incident, each once.
async fn known_components(state: &AppState) -> Result<Vec<String>, ApiError> {
    let mut all: Vec<String> = state
        .lifecycle
        .playbook
        .services
        .values()
        .flat_map(|s| s.features.iter().cloned())
        .collect();
    all.extend(state.lifecycle.store.status_components().await?);
    let mut all = components(&all);
    all.sort_by_key(|c| c.to_lowercase());
    Ok(all)
}

/// Component statuses, worst first by severity of the open incidents touching each
/// (`operational` when none does).
fn component_statuses<'a>(
    known: &'a [String],
    incidents: &[Shown],
) -> Vec<(&'a str, &'static str)> {
    const ORDER: [&str; 4] = [
        "operational",
        "degraded_performance",
        "partial_outage",
        "major_outage",
    ];
    let rank = |s: &str| ORDER.iter().position(|o| *o == s).unwrap_or(0);
    known
        .iter()
        .map(|c| {
            let worst = incidents
                .iter()
                .filter(|i| i.state.is_open())
                .filter(|i| i.components.iter().any(|x| x.eq_ignore_ascii_case(c)))
                .map(|i| component_status(i.state, &i.failure_type))
                .max_by_key(|s| rank(s))
                .unwrap_or("operational");
            (c.as_str(), worst)
        })
        .collect()
}

fn component_label(status: &str) -> &'static str {
    match status {
        "major_outage" => "Major outage",
        "partial_outage" => "Partial outage",
        "degraded_performance" => "Degraded performance",
        _ => "Operational",
    }
}

// ----- formats -----------------------------------------------------------------------------

/// Escapes text for HTML and XML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0; they carry nothing a reader needs.
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

fn instant(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// RFC 3339, as Atom and JSON want it.
fn rfc3339(ms: i64) -> String {
    instant(ms).to_string()
}

/// For people: `2024-10-15 14:20 UTC`, in a `<time>` element.
fn time_html(ms: i64) -> String {
    let t = instant(ms);
    format!(
        "<time datetime=\"{}\">{}</time>",
        t,
        t.strftime("%Y-%m-%d %H:%M UTC")
    )
}

/// An anchor for an incident: a hash, since ids may hold anything.
fn anchor(incident: &str) -> String {
    format!(
        "incident-{}",
        &hex::encode(Sha256::digest(incident.as_bytes()))[..12]
    )
}

/// A stable `urn:uuid:` for a name: the first 128 bits of its SHA-256 with the version 8
/// (custom) and RFC 9562 variant bits, so Atom ids never change when the site moves.
fn urn(name: &str) -> String {
    let d = Sha256::digest(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// A post's text as paragraphs: blank lines separate them, single newlines are breaks.
fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", esc(p).replace('\n', "<br>\n")))
        .collect::<Vec<_>>()
        .join("\n")
}

fn state_of(post: &StatusPost) -> &str {
    PostState::parse(&post.state).map_or(post.state.as_str(), |s| s.label())
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:48rem;margin:0 auto;padding:1rem;\
line-height:1.5;color:#1a1a1a;background:#fff}a{color:#0645ad}.status{font-weight:600}\
.operational{color:#1e6b34}.degraded_performance,.partial_outage{color:#8a4b00}.major_outage{color:#a4161a}\
article{border-top:1px solid #ccc;padding-top:.5rem}ol.updates{padding-left:1.2rem}\
ul.components{list-style:none;padding:0}ul.components li{display:flex;justify-content:space-between;\
border-bottom:1px solid #eee;padding:.25rem 0}";

/// A complete HTML document.
fn html_document(title: &str, head_extra: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n{head_extra}<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        esc(title)
    )
}

/// Response headers every HTML page gets: no script may run, nothing may frame it, forms
/// post only here, and token-bearing URLs do not leak through Referer.
fn html_response(status: StatusCode, html: String, private: bool) -> Response {
    let mut r = (status, html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if private {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    } else {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=30"),
        );
    }
    r
}

/// One incident as an `<article>`: title, state, components and its updates, newest first.
fn incident_html(i: &Shown, heading: &str) -> String {
    let mut out = format!(
        "<article id=\"{a}\" aria-labelledby=\"{a}-title\">\n<{heading} id=\"{a}-title\">{}</{heading}>\n\
         <p>Status: <strong class=\"status\">{}</strong>",
        esc(&i.title),
        i.state.label(),
        a = anchor(&i.id),
    );
    if !i.components.is_empty() {
        out.push_str(&format!(" · Affects: {}", esc(&i.components.join(", "))));
    }
    out.push_str("</p>\n<ol class=\"updates\" reversed>\n");
    for p in &i.posts {
        out.push_str(&format!(
            "<li><p><strong>{}</strong> — {}</p>\n{}</li>\n",
            esc(state_of(p)),
            time_html(p.posted_ms),
            paragraphs(&p.body)
        ));
    }
    out.push_str("</ol>\n</article>\n");
    out
}

fn incidents_html(incidents: &[Shown]) -> String {
    let (open, past): (Vec<&Shown>, Vec<&Shown>) =
        incidents.iter().partition(|i| i.state.is_open());
    let mut out = String::from(
        "<section aria-labelledby=\"current\">\n<h2 id=\"current\">Current incidents</h2>\n",
    );
    if open.is_empty() {
        out.push_str("<p>No incidents in progress.</p>\n");
    }
    for i in open {
        out.push_str(&incident_html(i, "h3"));
    }
    out.push_str(
        "</section>\n<section aria-labelledby=\"past\">\n<h2 id=\"past\">Past incidents</h2>\n",
    );
    if past.is_empty() {
        out.push_str("<p>No past incidents.</p>\n");
    }
    for i in past {
        out.push_str(&incident_html(i, "h3"));
    }
    out.push_str("</section>\n");
    out
}

// ----- public pages ------------------------------------------------------------------------

/// `GET /status`: the page for people.
#[tracing::instrument(skip_all)]
pub async fn page(State(state): State<AppState>, settings: Settings) -> Result<Response, ApiError> {
    let now = Timestamp::now();
    let incidents = public_incidents(&state.lifecycle.store, &settings, now).await?;
    let known = known_components(&state).await?;
    let statuses = component_statuses(&known, &incidents);
    let title = title(&settings);
    let open = incidents.iter().filter(|i| i.state.is_open()).count();
    let overall = match open {
        0 => "All systems operational.".to_string(),
        1 => "1 incident in progress.".to_string(),
        n => format!("{n} incidents in progress."),
    };
    let mut body = format!(
        "<header>\n<h1>{}</h1>\n<p class=\"status\">{overall}</p>\n</header>\n<main>\n",
        esc(&title)
    );
    body.push_str(
        "<section aria-labelledby=\"components\">\n<h2 id=\"components\">Components</h2>\n",
    );
    if statuses.is_empty() {
        body.push_str("<p>No components are listed.</p>\n");
    } else {
        body.push_str("<ul class=\"components\">\n");
        for (name, status) in &statuses {
            body.push_str(&format!(
                "<li><span>{}</span> <span class=\"status {status}\">{}</span></li>\n",
                esc(name),
                component_label(status)
            ));
        }
        body.push_str("</ul>\n");
    }
    body.push_str("</section>\n");
    body.push_str(&incidents_html(&incidents));
    if settings.is_some() {
        body.push_str(
            "<section aria-labelledby=\"subscribe\">\n<h2 id=\"subscribe\">Get updates by email</h2>\n\
             <form method=\"post\" action=\"/status/subscribe\">\n\
             <p><label for=\"email\">Email address</label><br>\n\
             <input id=\"email\" name=\"email\" type=\"email\" required autocomplete=\"email\"></p>\n",
        );
        if !known.is_empty() {
            body.push_str("<fieldset>\n<legend>Components (tick none for all)</legend>\n");
            for (n, c) in known.iter().enumerate() {
                body.push_str(&format!(
                    "<p><input type=\"checkbox\" id=\"component-{n}\" name=\"components\" value=\"{c}\"> \
                     <label for=\"component-{n}\">{c}</label></p>\n",
                    c = esc(c)
                ));
            }
            body.push_str("</fieldset>\n");
        }
        body.push_str(
            "<p><button type=\"submit\">Subscribe</button></p>\n\
             <p>We email you a link to confirm. Nothing else is sent until you do, and every \
             email has a link to stop them.</p>\n</form>\n</section>\n",
        );
    }
    body.push_str(&format!(
        "<p>Also as a <a href=\"{}\">feed (Atom)</a> and <a href=\"{}\">JSON</a>.</p>\n</main>",
        esc(&link(&settings, "/status.atom")),
        esc(&link(&settings, "/status.json"))
    ));
    let head = format!(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{}\" href=\"{}\">\n",
        esc(&title),
        esc(&link(&settings, "/status.atom"))
    );
    Ok(html_response(
        StatusCode::OK,
        html_document(&title, &head, &body),
        false,
    ))
}

/// The status page as JSON.
#[derive(Debug, Serialize)]
struct PageJson {
    title: String,
    /// When the newest post was made.
    updated_at: Option<String>,
    /// The worst component status.
    status: &'static str,
    components: Vec<ComponentJson>,
    incidents: Vec<IncidentJson>,
}

#[derive(Debug, Serialize)]
struct ComponentJson {
    name: String,
    status: &'static str,
}

#[derive(Debug, Serialize)]
struct IncidentJson {
    id: String,
    title: String,
    state: PostState,
    open: bool,
    components: Vec<String>,
    started_at: Option<String>,
    updated_at: Option<String>,
    posts: Vec<PostJson>,
}

#[derive(Debug, Serialize)]
struct PostJson {
    state: String,
    body: String,
    posted_at: String,
}

fn incident_json(i: &Shown) -> IncidentJson {
    IncidentJson {
        id: i.id.clone(),
        title: i.title.clone(),
        state: i.state,
        open: i.state.is_open(),
        components: i.components.clone(),
        started_at: i.started_ms().map(rfc3339),
        updated_at: i.updated_ms().map(rfc3339),
        posts: i
            .posts
            .iter()
            .map(|p| PostJson {
                state: p.state.clone(),
                body: p.body.clone(),
                posted_at: rfc3339(p.posted_ms),
            })
            .collect(),
    }
}

/// `GET /status.json`: the page for programs.
#[tracing::instrument(skip_all)]
pub async fn page_json(
    State(state): State<AppState>,
    settings: Settings,
) -> Result<Response, ApiError> {
    let incidents = public_incidents(&state.lifecycle.store, &settings, Timestamp::now()).await?;
    let known = known_components(&state).await?;
    let statuses = component_statuses(&known, &incidents);
    let worst = ["major_outage", "partial_outage", "degraded_performance"]
        .into_iter()
        .find(|w| statuses.iter().any(|(_, s)| s == w))
        .unwrap_or("operational");
    let doc = PageJson {
        title: title(&settings),
        updated_at: incidents
            .iter()
            .filter_map(Shown::updated_ms)
            .max()
            .map(rfc3339),
        status: worst,
        components: statuses
            .iter()
            .map(|(name, status)| ComponentJson {
                name: name.to_string(),
                status,
            })
            .collect(),
        incidents: incidents.iter().map(incident_json).collect(),
    };
    let mut r = axum::Json(doc).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=30"),
    );
    Ok(r)
}

/// `GET /status.atom`: every post as an Atom 1.0 entry, newest first.
#[tracing::instrument(skip_all)]
pub async fn feed(State(state): State<AppState>, settings: Settings) -> Result<Response, ApiError> {
    let posts = state
        .lifecycle
        .store
        .recent_status_posts(FEED_ENTRIES)
        .await?;
    let title = title(&settings);
    let base = settings
        .as_ref()
        .map_or("", |Extension(s)| s.public_url.trim().trim_end_matches('/'));
    let updated = posts.first().map_or(0, |p| p.posted_ms);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <id>{}</id>\n<title>{}</title>\n<updated>{}</updated>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<author><name>{}</name></author>\n",
        urn(&format!("amends status feed {base}")),
        esc(&title),
        rfc3339(updated),
        esc(&link(&settings, "/status.atom")),
        esc(&link(&settings, "/status")),
        esc(&title),
    );
    for p in &posts {
        let state = PostState::parse(&p.state);
        xml.push_str(&format!(
            "<entry>\n<id>{}</id>\n<title>[{}] {}</title>\n<updated>{t}</updated>\n<published>{t}</published>\n\
             <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<category term=\"{}\" label=\"{}\"/>\n\
             <content type=\"text\">{}</content>\n</entry>\n",
            urn(&format!("amends status post {}", p.key)),
            esc(state_of(p)),
            esc(&p.title),
            esc(&link(&settings, &format!("/status#{}", anchor(&p.incident_id)))),
            esc(&p.state),
            esc(state.map_or(p.state.as_str(), |s| s.label())),
            esc(&p.body),
            t = rfc3339(p.posted_ms),
        ));
    }
    xml.push_str("</feed>\n");
    let mut r = xml.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=30"),
    );
    Ok(r)
}

// ----- subscriptions -----------------------------------------------------------------------

/// A subscription request (`application/json`, or the page's form).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeBody {
    /// Where to send updates.
    pub email: String,
    /// Components to hear about; none means all.
    #[serde(default)]
    pub components: Vec<String>,
}

/// Reads a form body: `email` once, `components` any number of times.
fn parse_form(bytes: &[u8]) -> Result<SubscribeBody, ApiError> {
    let mut email = None;
    let mut components = Vec::new();
    for (key, value) in form_urlencoded::parse(bytes) {
        match key.as_ref() {
            "email" if email.is_none() => email = Some(value.into_owned()),
            "email" => {
                return Err(bad_field("email", "give one address"));
            }
            "components" => components.push(value.into_owned()),
            other => {
                return Err(bad_field(
                    other,
                    "unknown field; expected email and components",
                ));
            }
        }
    }
    let email = email.ok_or_else(|| bad_field("email", "missing field `email`"))?;
    Ok(SubscribeBody { email, components })
}

fn bad_field(field: &str, message: &str) -> ApiError {
    ApiError::BadRequest {
        detail: format!("{field}: {message}"),
        errors: vec![FieldError {
            field: field.to_string(),
            message: message.to_string(),
        }],
    }
}

/// Checks the request against the known components: an unknown one is named with its place.
fn check_subscription(
    body: SubscribeBody,
    known: &[String],
) -> Result<(String, Vec<String>), ApiError> {
    let mut errors = Vec::new();
    let email = parse_address(&body.email);
    if email.is_none() {
        errors.push(FieldError {
            field: "email".into(),
            message: "is not an email address".into(),
        });
    }
    if body.components.len() > MAX_COMPONENTS {
        errors.push(FieldError {
            field: "components".into(),
            message: format!("name at most {MAX_COMPONENTS} components"),
        });
    }
    let mut chosen: Vec<String> = Vec::new();
    for (n, c) in body.components.iter().enumerate() {
        match known.iter().find(|k| k.eq_ignore_ascii_case(c.trim())) {
            Some(k) if !chosen.contains(k) => chosen.push(k.clone()),
            Some(_) => {}
            None => errors.push(FieldError {
                field: format!("components[{n}]"),
                message: format!(
                    "{c:?} is not a component of this page; choose from: {}",
                    known.join(", ")
                ),
            }),
        }
    }
    match email {
        Some(email) if errors.is_empty() => Ok((email, chosen)),
        _ => Err(ApiError::Unprocessable {
            detail: errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            errors,
        }),
    }
}

/// 64 hex digits of randomness.
fn random_token(bytes: usize) -> Result<String, ApiError> {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    Ok(hex::encode(b))
}

fn not_configured() -> ApiError {
    ApiError::NotFound("email subscriptions are not enabled on this server".to_string())
}

/// What subscribing answers, whether or not the address was known (so it tells nobody).
#[derive(Debug, Serialize)]
pub struct Subscribed {
    /// `confirmation_sent`.
    pub status: &'static str,
    /// What happens next.
    pub detail: &'static str,
}

const SUBSCRIBED: &str = "We sent a link to that address. Updates start once it is confirmed.";

/// `POST /status/subscribe`: stores a pending subscription and emails a confirmation link;
/// nothing else is sent until it is used.
#[tracing::instrument(skip_all)]
pub async fn subscribe(
    State(state): State<AppState>,
    settings: Settings,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    let Some(Extension(settings)) = settings else {
        return Err(not_configured());
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let form = content_type == "application/x-www-form-urlencoded";
    let body = if form {
        parse_form(&read_body(req).await?)?
    } else {
        let Json(body) = Json::<SubscribeBody>::from_request(req, &()).await?;
        body
    };
    let known = known_components(&state).await?;
    let (email, chosen) = check_subscription(body, &known)?;
    let link_ref = random_token(16)?;
    let confirm_token = random_token(32)?;
    let now_ms = Timestamp::now().as_millisecond();
    let store = &state.lifecycle.store;
    let limits = SubscribeLimits {
        resend_after_ms: CONFIRMATION_RESEND_MS,
        per_hour: settings.confirmations_per_hour,
    };
    let confirmation = confirmation_email(
        &settings,
        &email,
        &chosen,
        &link_ref,
        &confirm_token,
        now_ms,
    );
    let outcome = store
        .subscribe(
            &NewSubscription {
                email: email.clone(),
                components: chosen.clone(),
                unsubscribe_token: settings.link_secret.unsubscribe_token(&link_ref),
                link_ref: link_ref.clone(),
                confirm_token: confirm_token.clone(),
                created_ms: now_ms,
            },
            &[confirmation],
            limits,
        )
        .await?;
    match outcome {
        SubscribeOutcome::Stored => tracing::info!(
            components = chosen.len(),
            "status page subscription requested"
        ),
        // Answered as a new request, so the answer tells nobody whether the address asked
        // before.
        SubscribeOutcome::AlreadySent => tracing::info!(
            "status page subscription asked for again soon after a confirmation was sent: none sent"
        ),
        SubscribeOutcome::HourlyLimit => {
            tracing::warn!(
                per_hour = settings.confirmations_per_hour,
                "status page subscription refused: the hourly limit of confirmation emails was reached"
            );
            return Err(ApiError::TooManyRequests {
                detail: "this page has taken as many subscription requests as it may this hour; try again later".to_string(),
                retry_after_secs: 600,
            });
        }
    }
    if form {
        let body = format!(
            "<main>\n<h1>Check your inbox</h1>\n<p>{SUBSCRIBED}</p>\n<p><a href=\"/status\">Back to {}</a></p>\n</main>",
            esc(&settings.title)
        );
        return Ok(html_response(
            StatusCode::ACCEPTED,
            html_document("Check your inbox", "", &body),
            true,
        ));
    }
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(Subscribed {
            status: "confirmation_sent",
            detail: SUBSCRIBED,
        }),
    )
        .into_response())
}

async fn read_body(req: Request) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, &()).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(BODY_LIMIT)
        } else {
            ApiError::BadRequest {
                detail: format!("cannot read the request body: {e}"),
                errors: Vec::new(),
            }
        }
    })
}

/// A token from a path: 64 lowercase hex digits, else nothing can match.
fn token(t: &str) -> Result<&str, ApiError> {
    if t.len() == 64
        && t.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(t)
    } else {
        Err(unknown_link())
    }
}

fn unknown_link() -> ApiError {
    ApiError::NotFound(
        "this link is unknown, already used or expired; subscribe again from the status page"
            .to_string(),
    )
}

fn unknown_private_link() -> ApiError {
    ApiError::NotFound(
        "this private page link is unknown or was replaced; ask your account team for the current one"
            .to_string(),
    )
}

fn what(components: &[String]) -> String {
    if components.is_empty() {
        "every component".to_string()
    } else {
        esc(&components.join(", "))
    }
}

/// A small page with one button that posts back to the same URL: following a link (mail
/// scanners fetch every link in a message) must not confirm or unsubscribe anything.
fn button_page(title: &str, text: &str, action: &str, button: &str) -> Response {
    let body = format!(
        "<main>\n<h1>{}</h1>\n<p>{text}</p>\n<form method=\"post\" action=\"{}\">\n\
         <p><button type=\"submit\">{}</button></p>\n</form>\n</main>",
        esc(title),
        esc(action),
        esc(button)
    );
    html_response(StatusCode::OK, html_document(title, "", &body), true)
}

fn message_page(title: &str, text: &str) -> Response {
    let body = format!(
        "<main>\n<h1>{}</h1>\n<p>{text}</p>\n<p><a href=\"/status\">Go to the status page</a></p>\n</main>",
        esc(title)
    );
    html_response(StatusCode::OK, html_document(title, "", &body), true)
}

/// `GET /status/confirm/{token}`: what would be confirmed, and the button to confirm it.
#[tracing::instrument(skip_all)]
pub async fn confirm_form(
    State(state): State<AppState>,
    Path(t): Path<String>,
) -> Result<Response, ApiError> {
    let t = token(&t)?;
    let s = state
        .lifecycle
        .store
        .pending_subscription(t, Timestamp::now().as_millisecond(), CONFIRMATION_VALID_MS)
        .await?
        .ok_or_else(unknown_link)?;
    Ok(button_page(
        "Confirm your subscription",
        &format!(
            "Receive an email for every update about {}.",
            what(&s.components)
        ),
        &format!("/status/confirm/{t}"),
        "Confirm",
    ))
}

/// `POST /status/confirm/{token}`: confirms the subscription; from now on it receives updates.
#[tracing::instrument(skip_all)]
pub async fn confirm(
    State(state): State<AppState>,
    settings: Settings,
    Path(t): Path<String>,
) -> Result<Response, ApiError> {
    let t = token(&t)?;
    let s = state
        .lifecycle
        .store
        .confirm_subscription(t, Timestamp::now().as_millisecond(), CONFIRMATION_VALID_MS)
        .await?
        .ok_or_else(unknown_link)?;
    tracing::info!("status page subscription confirmed");
    let stop = settings
        .as_ref()
        .map_or_else(String::new, |Extension(settings)| {
            format!(
                " Every email has a link to stop them; <a href=\"{}\">this one</a> works too.",
                esc(&format!(
                    "/status/unsubscribe/{}",
                    settings.link_secret.unsubscribe_token(&s.link_ref)
                ))
            )
        });
    Ok(message_page(
        "Subscribed",
        &format!(
            "You will receive an email for every update about {}.{stop}",
            what(&s.components)
        ),
    ))
}

/// `GET /status/unsubscribe/{token}`: the one button that stops the emails.
#[tracing::instrument(skip_all)]
pub async fn unsubscribe_form(
    State(state): State<AppState>,
    Path(t): Path<String>,
) -> Result<Response, ApiError> {
    let t = token(&t)?;
    let s = state
        .lifecycle
        .store
        .subscription_by_unsubscribe_token(t)
        .await?
        .ok_or_else(unknown_link)?;
    Ok(button_page(
        "Stop status emails",
        &format!("Stop the emails about {}.", what(&s.components)),
        &format!("/status/unsubscribe/{t}"),
        "Unsubscribe",
    ))
}

/// `POST /status/unsubscribe/{token}`: unsubscribes at once. This is also the RFC 8058
/// one-click target of `List-Unsubscribe`: mail providers POST `List-Unsubscribe=One-Click`
/// here; any body is accepted and ignored, and the answer is not a redirect.
#[tracing::instrument(skip_all)]
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(t): Path<String>,
) -> Result<Response, ApiError> {
    let t = token(&t)?;
    if !state.lifecycle.store.unsubscribe(t).await? {
        return Err(unknown_link());
    }
    tracing::info!("status page subscription ended");
    Ok(message_page(
        "Unsubscribed",
        "You will not receive any more status emails. You can subscribe again from the status page.",
    ))
}

// ----- private pages -----------------------------------------------------------------------

/// `GET /status/private/{token}`: one account's page. Only incidents whose current plan
/// includes the account, and of those only what touched it: the public posts, the messages
/// amends delivered to this account (never another account's), and a credit that is
/// decided.
#[tracing::instrument(skip_all)]
pub async fn private_page(
    State(state): State<AppState>,
    settings: Settings,
    Path(t): Path<String>,
) -> Result<Response, ApiError> {
    let t = token(&t).map_err(|_| unknown_private_link())?;
    let store = &state.lifecycle.store;
    let account_id = store
        .private_page_account(t)
        .await?
        .ok_or_else(unknown_private_link)?;
    let account = store.account(&account_id).await?;
    let now = Timestamp::now();
    let mut sections = String::new();
    let mut shown_any = false;
    for incident in store.incidents_of_account(&account_id).await? {
        let messages = account_messages(store, &incident, &account_id).await?;
        let public = shown(store, &incident, monitoring(&settings), now).await?;
        if public.is_none() && messages.is_empty() {
            continue;
        }
        shown_any = true;
        let public = match public {
            Some(p) => p,
            None => {
                let s = Situation::load(store, &incident).await?;
                Shown {
                    id: incident.clone(),
                    title: s.title.clone(),
                    state: s.state("", now, monitoring(&settings)),
                    failure_type: s.failure_type,
                    components: s.components,
                    posts: Vec::new(),
                }
            }
        };
        sections.push_str(&incident_html(&public, "h2"));
        if !messages.is_empty() {
            sections.push_str(&format!(
                "<h3>Messages sent to {}</h3>\n<ul>\n",
                esc(&account.name)
            ));
            for (step, ms) in &messages {
                sections.push_str(&format!("<li>{} — {}</li>\n", esc(step), time_html(*ms)));
            }
            sections.push_str("</ul>\n");
        }
        let remediation = store.remediation(&incident, &account_id).await?;
        let decided = matches!(
            remediation.status,
            amends_store::RemediationStatus::Automatic | amends_store::RemediationStatus::Approved
        );
        // Decimal text: any digit other than 0 makes it more than nothing.
        let credited = remediation
            .credit
            .chars()
            .any(|c| c.is_ascii_digit() && c != '0');
        if decided && credited {
            sections.push_str(&format!(
                "<p>Credit: <strong>{} {}</strong></p>\n",
                esc(&remediation.credit),
                esc(&remediation.currency)
            ));
        }
    }
    if !shown_any {
        sections.push_str("<p>No incident has affected this account.</p>\n");
    }
    let title = format!("{} — {}", title(&settings), account.name);
    let body = format!(
        "<header>\n<h1>{}</h1>\n</header>\n<main>\n{sections}</main>",
        esc(&title)
    );
    Ok(html_response(
        StatusCode::OK,
        html_document(
            &title,
            "<meta name=\"robots\" content=\"noindex\">\n",
            &body,
        ),
        true,
    ))
}

/// The messages delivered to one account for an incident: (step, when), oldest first. Keys
/// are `INC/ACCOUNT/STEP/OCCURRENCE/CONTACT` and account ids may contain `/`, so the key is
/// read from the right and the rest must be exactly the incident and this account.
async fn account_messages(
    store: &Store,
    incident: &str,
    account: &str,
) -> Result<Vec<(String, i64)>, ApiError> {
    let prefix = format!("{incident}/{account}");
    Ok(store
        .delivered(incident)
        .await?
        .into_iter()
        .filter_map(|(key, ms)| {
            let mut parts = key.rsplitn(4, '/');
            let (_contact, _occurrence, step, rest) =
                (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            (rest == prefix).then(|| (step.to_string(), ms))
        })
        .collect())
}

/// Issuing a private page link.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivateTokenBody {
    /// Replace the account's current link (it stops working). Without it, an account that
    /// has a link is a 409, so a customer's bookmark is never broken by accident.
    #[serde(default)]
    pub rotate: bool,
}

/// A private page link, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrivateToken {
    /// The account.
    pub account: String,
    /// The secret; only its hash is stored.
    pub token: String,
    /// The page.
    pub url: String,
    /// Whether an earlier link was replaced.
    pub rotated: bool,
}

/// Issues (or with `rotate` replaces) an account's private status page link.
#[utoipa::path(post, path = "/v1/accounts/{id}/status-page-token", tag = "accounts", params(("id" = String, Path)),
    request_body = PrivateTokenBody, security(("token" = [])), responses(
    (status = 201, body = PrivateToken), (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 415, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn issue_private_token(
    State(state): State<AppState>,
    settings: Settings,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<PrivateTokenBody>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    if id.is_empty() || id.len() > 200 {
        return Err(ApiError::NotFound(
            "nothing has that id: ids are 1 to 200 characters".to_string(),
        ));
    }
    let token = random_token(32)?;
    let rotated = state
        .lifecycle
        .store
        .set_private_page_token(&id, &token, body.rotate, &caller.actor())
        .await?;
    let url = link(&settings, &format!("/status/private/{token}"));
    Ok((
        StatusCode::CREATED,
        axum::Json(PrivateToken {
            account: id,
            token,
            url,
            rotated,
        }),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_quotes_and_controls() {
        assert_eq!(
            esc("<a href=\"x\">Tom's & co</a>\u{7}"),
            "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; co&lt;/a&gt;"
        );
        assert_eq!(
            paragraphs("one\ntwo\n\n<three>"),
            "<p>one<br>\ntwo</p>\n<p>&lt;three&gt;</p>"
        );
    }

    #[test]
    fn urns_are_stable_version_8_uuids() {
        let u = urn("amends status post INC-1/public/x/0");
        assert_eq!(u, urn("amends status post INC-1/public/x/0"));
        assert_ne!(u, urn("amends status post INC-1/public/x/1"));
        let hex = u.strip_prefix("urn:uuid:").unwrap();
        assert_eq!(hex.len(), 36);
        assert_eq!(&hex[14..15], "8");
        assert!("89ab".contains(&hex[19..20]));
    }

    #[test]
    fn forms_read_repeated_components_and_refuse_strangers() {
        let b =
            parse_form(b"email=a%40example.com&components=API&components=Web+application").unwrap();
        assert_eq!(b.email, "a@example.com");
        assert_eq!(b.components, vec!["API", "Web application"]);
        assert!(parse_form(b"email=a%40example.com&admin=1").is_err());
        assert!(parse_form(b"components=API").is_err());
    }
}
