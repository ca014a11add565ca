//! The operator console as its tests use it: operators added as `relay admins add` adds them,
//! the login form filled in as a browser does (its CSRF cookie sent back with its field), and
//! pages read with the session's cookie.

use relay::core::console::Role;

use super::World;

/// One answer of the console: status, `Location`, the cookies it set, the page.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub cookies: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    async fn of(resp: reqwest::Response) -> Answer {
        let location = resp
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        let cookies = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|c| c.to_str().ok()?.split(';').next()?.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Answer {
            status: resp.status().as_u16(),
            location,
            cookies,
            body: resp.text().await.unwrap(),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of the page's first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        let start = self
            .body
            .find(r#"name="csrf" value=""#)
            .expect("a CSRF field")
            + 19;
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

/// A signed-in operator: the session cookie's value.
pub struct Session(pub String);

impl World {
    /// Adds an operator with `password`, as `relay admins add` does.
    pub async fn add_operator(&self, email: &str, role: Role, password: &str) {
        let hash = relay::console::password::hash(password);
        let now = self.state.clock.timestamp();
        assert!(
            self.state
                .db
                .add_operator(email, role, &hash, now)
                .await
                .unwrap()
        );
    }

    /// GET `path` with the console's session cookie `session`, if any.
    pub async fn console_get(&self, path: &str, session: Option<&Session>) -> Answer {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(s) = session {
            req = req.header("cookie", format!("relay_console={}", s.0));
        }
        Answer::of(req.send().await.unwrap()).await
    }

    /// POST a form to `path` with the session's cookie and the extra `cookie` header text.
    pub async fn console_post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Answer {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .form(form);
        Answer::of(req.send().await.unwrap()).await
    }

    /// Fills in the login form as a browser does; the answer to the POST.
    pub async fn console_login(&self, email: &str, password: &str) -> Answer {
        self.console_login_code(email, password, "").await
    }

    /// The same, with the second factor's `code` typed too.
    pub async fn console_login_code(&self, email: &str, password: &str, code: &str) -> Answer {
        let form = self.console_get("/admin/login", None).await;
        assert_eq!(form.status, 200);
        let csrf = form
            .cookie("relay_console_login")
            .expect("the form's CSRF cookie")
            .to_owned();
        assert_eq!(
            form.csrf(),
            csrf,
            "double submit: the field repeats the cookie"
        );
        self.console_post(
            "/admin/login",
            &format!("relay_console_login={csrf}"),
            &[
                ("csrf", &csrf),
                ("email", email),
                ("password", password),
                ("code", code),
            ],
        )
        .await
    }

    /// Logs in and returns the session; panics if the login fails.
    pub async fn console_session(&self, email: &str, password: &str) -> Session {
        let answer = self.console_login(email, password).await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        assert_eq!(answer.location.as_deref(), Some("/admin"));
        Session(
            answer
                .cookie("relay_console")
                .expect("a session cookie")
                .to_owned(),
        )
    }

    /// A payment of the annual plan for company 39, event `evt_replay`, rejected by a relay on
    /// the same database whose plans file lost that plan: the cause an operator fixes and then
    /// replays.
    pub async fn rejected_for_a_missing_plan(&self) {
        let plans =
            std::env::temp_dir().join(format!("plans_{}.json", stripe_sandbox::random_id(8)));
        std::fs::write(&plans, r#"{"plans":[{"id":"mensuel","name":"Mensuel","price_cents":4900,"currency":"eur","duration_days":30,"features":["Accès complet"]}]}"#).unwrap();
        let broken = super::start_relay_with(
            &self.db.url,
            &self.sandbox_base,
            &[("RELAY_PLANS_FILE", &plans.display().to_string())],
        )
        .await;
        let session = (
            "cs_test_replay".to_owned(),
            "39".to_owned(),
            "annuel".to_owned(),
        );
        super::created_sessions(&self.state.db, &[session]).await;
        let body = stripe_sandbox::fixtures::paid_checkout_event(
            "evt_replay",
            "cs_test_replay",
            "39",
            "annuel",
            49900,
        );
        let signed = self.send_webhook(&broken.base, &body).await.unwrap();
        assert_eq!(signed.status(), 200);
        let _ = std::fs::remove_file(plans);
    }
}
