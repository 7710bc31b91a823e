//! Who is asking: cookies, the CSRF token of forms, portal sessions and per-hour limits.
//!
//! - **Sessions**: the cookie `er_session` holds 256 random bits; the database holds their
//!   SHA-256 with the number's hash and an expiry ([`SESSION_SECONDS`]). `HttpOnly`,
//!   `SameSite=Lax` (a link from a text still opens the portal signed in), `Secure` when the
//!   portal is served over https, `Path=/`.
//! - **CSRF**: every visitor gets a random `er_csrf` cookie (`HttpOnly`, `SameSite=Strict`);
//!   every form carries HMAC(csrf key, cookie) and every POST is refused unless the two
//!   match. Another site can neither read the cookie nor compute the token.
//! - **Limits**: counts per hour in the database's rate windows (shared by all instances).

use crate::db::{self, on_pool, rate};
use crate::error::PlatformError;
use crate::secret::{digests_equal, random_hex, sha256_hex};
use crate::state::AppState;
use crate::web::i18n::Lang;
use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap, HeaderValue, header};
use std::net::SocketAddr;

/// How long a portal session lasts.
pub(crate) const SESSION_SECONDS: i64 = 8 * 3600;
const SESSION_COOKIE: &str = "er_session";
const CSRF_COOKIE: &str = "er_csrf";
const LANG_COOKIE: &str = "er_lang";

/// A request's visitor: language, CSRF cookie, session and client.
#[derive(Debug)]
pub(crate) struct Visitor {
    pub(crate) lang: Lang,
    csrf_cookie: String,
    /// Cookies to set on the answer.
    pub(crate) set_cookies: Vec<HeaderValue>,
    /// The session secret and the number's hash, when signed in.
    pub(crate) session: Option<(String, String)>,
    /// The hash of the client's address (for limits; never logged).
    pub(crate) client: String,
    secure: bool,
}

impl Visitor {
    /// Reads the cookies and the session of a request.
    pub(crate) async fn of(
        state: &AppState,
        headers: &HeaderMap,
        extensions: &Extensions,
    ) -> Result<Self, PlatformError> {
        let secure = state.courier().secure();
        let lang = Lang::of_request(headers, cookie(headers, LANG_COOKIE));
        let mut set_cookies = Vec::new();
        let csrf_cookie = match cookie(headers, CSRF_COOKIE).filter(|c| c.len() == 32) {
            Some(c) => c.to_owned(),
            None => {
                let fresh = random_hex::<16>()?;
                set_cookies.push(set_cookie(CSRF_COOKIE, &fresh, None, "Strict", secure));
                fresh
            }
        };
        let session = match cookie(headers, SESSION_COOKIE) {
            Some(secret) => find(state, secret).await?.map(|h| (secret.to_owned(), h)),
            None => None,
        };
        let client = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
        Ok(Visitor {
            lang,
            csrf_cookie,
            set_cookies,
            session,
            client: sha256_hex(client.as_bytes()),
            secure,
        })
    }

    /// The token forms carry.
    pub(crate) fn csrf(&self, state: &AppState) -> String {
        state.courier().keys().csrf_token(&self.csrf_cookie)
    }

    /// Whether a submitted form's token is this visitor's.
    pub(crate) fn csrf_ok(&self, state: &AppState, submitted: &str) -> bool {
        digests_equal(&self.csrf(state), submitted)
    }

    /// The phone hash of the signed-in customer.
    pub(crate) fn phone_hash(&self) -> Option<&str> {
        self.session.as_ref().map(|(_, h)| h.as_str())
    }

    /// Starts a session for a number (by its hash) and sets its cookie.
    pub(crate) async fn sign_in(
        &mut self,
        state: &AppState,
        phone_hash: &str,
    ) -> Result<(), PlatformError> {
        const SQL: &str = "INSERT INTO portal_sessions (id_hash, phone_hash, created_at, \
                           expires_at) VALUES ($1, $2, $3, $4)";
        const CLEAN: &str = "DELETE FROM portal_sessions WHERE expires_at <= $1";
        let secret = random_hex::<32>()?;
        let now = db::now();
        let pool = state.db().write();
        on_pool!(pool, p => sqlx::query(CLEAN).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        on_pool!(pool, p => sqlx::query(SQL).bind(sha256_hex(secret.as_bytes())).bind(phone_hash)
            .bind(now).bind(now + SESSION_SECONDS).execute(p).await.map(|r| r.rows_affected()))?;
        self.set_cookies.push(set_cookie(
            SESSION_COOKIE,
            &secret,
            Some(SESSION_SECONDS),
            "Lax",
            self.secure,
        ));
        self.session = Some((secret, phone_hash.to_owned()));
        Ok(())
    }

    /// Ends the session and clears its cookie.
    pub(crate) async fn sign_out(&mut self, state: &AppState) -> Result<(), PlatformError> {
        const SQL: &str = "DELETE FROM portal_sessions WHERE id_hash = $1";
        if let Some((secret, _)) = self.session.take() {
            on_pool!(state.db().write(), p => sqlx::query(SQL)
                .bind(sha256_hex(secret.as_bytes())).execute(p).await.map(|r| r.rows_affected()))?;
        }
        self.set_cookies
            .push(set_cookie(SESSION_COOKIE, "", Some(0), "Lax", self.secure));
        Ok(())
    }

    /// Remembers a chosen language for a year.
    pub(crate) fn choose_lang(&mut self, lang: Lang) {
        self.lang = lang;
        self.set_cookies.push(set_cookie(
            LANG_COOKIE,
            lang.code(),
            Some(365 * 24 * 3600),
            "Lax",
            self.secure,
        ));
    }
}

/// The number's hash of a live session.
async fn find(state: &AppState, secret: &str) -> Result<Option<String>, PlatformError> {
    const SQL: &str =
        "SELECT phone_hash FROM portal_sessions WHERE id_hash = $1 AND expires_at > $2";
    let row: Option<(String,)> = on_pool!(state.db().read(), p => sqlx::query_as(SQL)
        .bind(sha256_hex(secret.as_bytes())).bind(db::now()).fetch_optional(p).await)?;
    Ok(row.map(|(h,)| h))
}

/// Counts one event in `bucket` for the current hour; `false` when over `per_hour`.
pub(crate) async fn within_hourly_limit(
    state: &AppState,
    bucket: &str,
    per_hour: i64,
) -> Result<bool, PlatformError> {
    let now = db::now();
    // An hour-aligned time falls in one minute window all hour: the window is the hour.
    let hour = now - now.rem_euclid(3600);
    let count = rate::hit(state.db().write(), &format!("portal:{bucket}"), hour).await?;
    Ok(count <= per_hour)
}

/// A cookie of the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

fn set_cookie(
    name: &str,
    value: &str,
    max_age: Option<i64>,
    same_site: &str,
    secure: bool,
) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).expect("cookie names and values are ASCII tokens")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; er_csrf=xyz; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, CSRF_COOKIE), Some("xyz"));
        assert_eq!(cookie(&headers, "c"), None);
        let c = set_cookie("n", "v", Some(5), "Lax", true);
        assert_eq!(c, "n=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=5; Secure");
    }
}
