//! Tauri's build step. The app embeds the built front end (`ui/dist`), so without it the build
//! stops with one sentence saying how to make it, rather than a panic inside `generate_context!`.

fn main() {
    let index = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist/index.html");
    println!("cargo::rerun-if-changed={}", index.display());
    if !index.exists() {
        println!(
            "cargo::error=L'interface ui/dist n'est pas construite : lancez `npm ci --prefix ui && npm run --prefix ui build` (ou `bash tests/setup.sh`), puis relancez cargo."
        );
        return;
    }
    tauri_build::build()
}
