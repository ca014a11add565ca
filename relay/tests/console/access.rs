//! Who gets into the console: logins and their limits, the second factor, sessions, CSRF tokens,
//! roles, and `RELAY_ADMIN=off`.

use super::common::console::Session;
use super::common::{Backend, start_with};
use super::{CHEF, PASSWORD, with_operator};
use relay::core::console::Role;

async fn a_wrong_password_is_refused_then_the_account_is_limited(backend: Backend) {
    let w = with_operator(backend, Role::Admin).await;
    for _ in 0..5 {
        let refused = w.console_login(CHEF, "pas-le-bon-mot-de-passe").await;
        assert_eq!(refused.status, 403);
        assert!(
            refused
                .body
                .contains("Adresse e-mail, mot de passe ou code incorrect.")
        );
        assert!(refused.cookie("relay_console").is_none());
    }
    // An unknown account gets the same answer.
    assert_eq!(
        w.console_login("inconnu@erp-btp.fr", PASSWORD).await.status,
        403
    );
    // The limit holds even for the right password, so that guessing learns nothing.
    let limited = w.console_login(CHEF, PASSWORD).await;
    assert_eq!(limited.status, 429);
    assert!(
        limited.body.contains("Trop de tentatives"),
        "{}",
        limited.body
    );
    assert!(limited.cookie("relay_console").is_none());
    let failures = w
        .count("SELECT COUNT(*) FROM operator_login_failures")
        .await;
    assert_eq!(failures, 6);
    // A quarter of an hour later the account may try again.
    w.state.clock.advance(15 * 60 + 1);
    assert_eq!(w.console_login(CHEF, PASSWORD).await.status, 303);
}

async fn the_pages_are_closed_without_a_session_and_to_a_companys_api_token(backend: Backend) {
    let w = with_operator(backend, Role::Admin).await;
    for path in ["/admin", "/admin/companies/39", "/admin/audit"] {
        let out = w.console_get(path, None).await;
        assert_eq!(
            (out.status, out.location.as_deref()),
            (303, Some("/admin/login")),
            "{path}"
        );
        let bearer = w
            .http
            .get(format!("{}{path}", w.base))
            .bearer_auth(&w.token)
            .send()
            .await
            .unwrap();
        assert_eq!(bearer.status(), 303, "{path} with the API token");
        let as_cookie = w.console_get(path, Some(&Session(w.token.clone()))).await;
        assert_eq!(
            as_cookie.status, 303,
            "{path} with the API token as a cookie"
        );
    }
    let page = w.console_get("/admin/login", None).await;
    let headers = w.get("/admin/login").await;
    assert!(page.body.contains("Connexion à la console"));
    let csp = headers.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("form-action 'self'"),
        "{csp}"
    );
    assert_eq!(headers.headers()["x-frame-options"], "DENY");
    assert_eq!(headers.headers()["cache-control"], "no-store");
    let cookie = headers.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(cookie.contains("Path=/admin"), "{cookie}");
}

async fn a_post_without_its_csrf_token_is_refused_and_changes_nothing(backend: Backend) {
    let w = with_operator(backend, Role::Admin).await;
    // The login form without its cookie, then with a field that is not the cookie's.
    let bare = w
        .console_post(
            "/admin/login",
            "",
            &[("email", CHEF), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(bare.status, 403);
    assert!(bare.body.contains("Formulaire refusé"), "{}", bare.body);
    let forged = w
        .console_post(
            "/admin/login",
            "relay_console_login=abc",
            &[("csrf", "abd"), ("email", CHEF), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(forged.cookie("relay_console").is_none());
    let me = w.console_session(CHEF, PASSWORD).await;
    let cookie = format!("relay_console={}", me.0);
    let logout = w.console_post("/admin/logout", &cookie, &[]).await;
    assert_eq!(logout.status, 403);
    assert_eq!(
        w.console_get("/admin", Some(&me)).await.status,
        200,
        "still signed in"
    );
}

async fn logout_removal_and_a_new_password_each_end_the_session_at_once(backend: Backend) {
    let w = with_operator(backend, Role::Admin).await;
    let me = w.console_session(CHEF, PASSWORD).await;
    let csrf = w.console_get("/admin", Some(&me)).await.csrf();
    let cookie = format!("relay_console={}", me.0);
    let out = w
        .console_post("/admin/logout", &cookie, &[("csrf", &csrf)])
        .await;
    assert_eq!(
        (out.status, out.location.as_deref()),
        (303, Some("/admin/login"))
    );
    assert_eq!(out.cookie("relay_console"), Some(""));
    assert_eq!(
        w.console_get("/admin", Some(&me)).await.status,
        303,
        "after logout"
    );

    let me = w.console_session(CHEF, PASSWORD).await;
    let hash = relay::console::password::hash("un-autre-mot-de-passe");
    let now = w.state.clock.timestamp();
    assert!(
        w.state
            .db
            .set_operator_password(CHEF, &hash, now)
            .await
            .unwrap()
    );
    assert_eq!(
        w.console_get("/admin", Some(&me)).await.status,
        303,
        "after passwd"
    );
    assert_eq!(w.console_login(CHEF, PASSWORD).await.status, 403);

    let me = w.console_session(CHEF, "un-autre-mot-de-passe").await;
    assert!(w.state.db.remove_operator(CHEF).await.unwrap());
    assert_eq!(
        w.console_get("/admin", Some(&me)).await.status,
        303,
        "after remove"
    );

    // And a session ends by itself after eight hours.
    w.add_operator(CHEF, Role::Lecture, PASSWORD).await;
    let me = w.console_session(CHEF, PASSWORD).await;
    w.state.clock.advance(8 * 3600 + 1);
    assert_eq!(
        w.console_get("/admin", Some(&me)).await.status,
        303,
        "after 8 h"
    );
}

async fn a_lecture_operator_sees_no_forms_and_is_refused_when_posting_one(backend: Backend) {
    let w = with_operator(backend, Role::Lecture).await;
    let me = w.console_session(CHEF, PASSWORD).await;
    let page = w.console_get("/admin/companies/39", Some(&me)).await;
    assert!(
        !page.body.contains("company-actions") && !page.body.contains("Révoquer"),
        "{}",
        page.body
    );
    assert!(
        !w.console_get("/admin", Some(&me))
            .await
            .body
            .contains("new-company")
    );
    let csrf = page.csrf();
    let cookie = format!("relay_console={}", me.0);
    let refused = w
        .console_post("/admin/companies/39/revoke", &cookie, &[("csrf", &csrf)])
        .await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("Action réservée"), "{}", refused.body);
    assert_eq!(
        w.get_json("/api/subscription", Some(&w.token)).await.0,
        200,
        "not revoked"
    );
    let fields = [("csrf", csrf.as_str()), ("id", "41"), ("name", "X")];
    assert_eq!(
        w.console_post("/admin/companies", &cookie, &fields)
            .await
            .status,
        403
    );
    assert_eq!(
        w.console_get("/admin/companies/new", Some(&me))
            .await
            .status,
        403
    );
}

async fn an_operator_with_the_second_factor_needs_a_fresh_code_from_their_application(
    backend: Backend,
) {
    let w = with_operator(backend, Role::Admin).await;
    let secret = *b"un-secret-de-20-octs";
    let now = w.state.clock.timestamp();
    let sealed = w.state.keys.seal(&secret);
    assert!(
        w.state
            .db
            .set_operator_totp(CHEF, Some(&sealed), now)
            .await
            .unwrap()
    );
    let code = |step: i64| format!("{:06}", relay::core::totp::code(&secret, step));
    let step = now.unix() / 30;
    let refused = "Adresse e-mail, mot de passe ou code incorrect.";

    // The right password alone, a wrong code, a code an hour old: the same refusal as a wrong
    // password, so that the answer never says the password was right.
    for given in ["", "000000", &code(step - 120)] {
        let answer = w.console_login_code(CHEF, PASSWORD, given).await;
        assert_eq!(answer.status, 403, "code « {given} »");
        assert!(answer.body.contains(refused), "{}", answer.body);
        assert!(answer.cookie("relay_console").is_none());
    }
    let spaced = format!("{} {}", &code(step)[..3], &code(step)[3..]);
    let ok = w.console_login_code(CHEF, PASSWORD, &spaced).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let me = Session(ok.cookie("relay_console").unwrap().to_owned());
    assert_eq!(w.console_get("/admin", Some(&me)).await.status, 200);
    let replayed = w.console_login_code(CHEF, PASSWORD, &code(step)).await;
    assert_eq!(replayed.status, 403, "a code is taken once");
    let wrong_password = w
        .console_login_code(CHEF, "pas-le-bon-mot-de-passe", &code(step + 1))
        .await;
    assert_eq!(
        wrong_password.status, 403,
        "a code never replaces the password"
    );

    // Four failures so far, then the fifth: the account is limited even with a good code.
    let _ = w.console_login_code(CHEF, PASSWORD, "111111").await;
    let limited = w.console_login_code(CHEF, PASSWORD, &code(step + 1)).await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    // A secret sealed under another signing key (the key was changed) opens nothing.
    let other = relay::keys::Keys::from_seed([9; 32]).seal(&secret);
    w.add_operator("compta@erp-btp.fr", Role::Lecture, PASSWORD)
        .await;
    let db = &w.state.db;
    assert!(
        db.set_operator_totp("compta@erp-btp.fr", Some(&other), now)
            .await
            .unwrap()
    );
    let unreadable = w
        .console_login_code("compta@erp-btp.fr", PASSWORD, &code(step + 1))
        .await;
    assert_eq!(unreadable.status, 403);
    let audit = w.console_get("/admin/audit", Some(&me)).await.body;
    for why in [
        "code de double authentification manquant",
        "code de double authentification refusé",
        "secret de double authentification illisible",
    ] {
        assert!(audit.contains(why), "{why}: {audit}");
    }
}

async fn the_console_is_absent_when_turned_off(backend: Backend) {
    let w = start_with(backend, &[("RELAY_ADMIN", "off")]).await;
    w.add_operator(CHEF, Role::Admin, PASSWORD).await;
    for path in ["/admin", "/admin/login", "/admin/console.css"] {
        assert_eq!(w.get(path).await.status(), 404, "{path}");
    }
}

crate::on_both_backends!(
    a_wrong_password_is_refused_then_the_account_is_limited,
    an_operator_with_the_second_factor_needs_a_fresh_code_from_their_application,
    the_pages_are_closed_without_a_session_and_to_a_companys_api_token,
    a_post_without_its_csrf_token_is_refused_and_changes_nothing,
    logout_removal_and_a_new_password_each_end_the_session_at_once,
    a_lecture_operator_sees_no_forms_and_is_refused_when_posting_one,
    the_console_is_absent_when_turned_off,
);
