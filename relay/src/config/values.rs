//! Single values read from the environment: a whole number, the entitlement seed (or its file).

use super::{ConfigError, Secret, err};

/// The entitlement seed from `ENTITLEMENT_SIGNING_KEY`, or read once from the file named by
/// `ENTITLEMENT_SIGNING_KEY_FILE`, which only its owner may read (mode 0600 or stricter).
pub(super) fn signing_key(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<Secret>, ConfigError> {
    const FILE: &str = "ENTITLEMENT_SIGNING_KEY_FILE";
    if let Some(key) = get("ENTITLEMENT_SIGNING_KEY") {
        return Ok(Some(Secret::new(key)));
    }
    let Some(path) = get(FILE) else {
        return Ok(None);
    };
    let path = path.trim();
    let unreadable = |e: std::io::Error| err(FILE, format!("« {path} » est illisible ({e})"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(unreadable)?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            return Err(err(
                FILE,
                format!("« {path} » est lisible par d'autres (mode {mode:o}) : chmod 600"),
            ));
        }
    }
    let text = std::fs::read_to_string(path).map_err(unreadable)?;
    Ok(Some(Secret::new(text.trim())))
}

/// A whole number ≥ 1 from `var`, or `default` when it is not set.
pub(super) fn positive(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: usize,
) -> Result<usize, ConfigError> {
    match get(var) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| {
                err(
                    var,
                    format!("vaut « {text} » : un nombre entier ≥ 1 est attendu"),
                )
            }),
    }
}
