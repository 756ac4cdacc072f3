//! The `changemaker` binary itself: start-up checks, first-run link, `create-admin`,
//! graceful shutdown on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_changemaker");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn command(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CHANGEMAKER_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn");
    cmd
}

#[test]
fn malformed_configuration_stops_start_up_with_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    for (name, value) in [
        ("LEPTOS_SITE_ADDR", "not-an-address"),
        ("CHANGEMAKER_LOG_FORMAT", "yaml"),
        ("CHANGEMAKER_SURPRISE", "1"),
        ("DATABASE_URL", "mysql://localhost/x"),
    ] {
        let out = command(dir.path()).env(name, value).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(name), "{stderr}");
    }
    assert!(!dir.path().join("changemaker.db").exists(), "nothing was created");
}

#[test]
fn first_run_prints_a_setup_link_and_sigterm_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = command(dir.path())
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let link = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.contains("/setup?token="))
        .expect("the first run prints a setup link");
    assert!(link.trim().starts_with(&format!("http://127.0.0.1:{port}/setup?token=")));

    // The key file was created once, readable by the owner only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("secret.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0));
            break;
        }
        assert!(Instant::now() < deadline, "the server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A server listening on every interface with no public address set would send out links to
/// `http://0.0.0.0:…`: its log says so at start-up.
#[test]
fn listening_everywhere_without_a_public_address_warns_that_links_lead_nowhere() {
    for (public_url, warned) in [(None, true), (Some("https://act.example.org"), false)] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = command(dir.path());
        cmd.env("LEPTOS_SITE_ADDR", format!("0.0.0.0:{}", free_port()))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(url) = public_url {
            cmd.env("CHANGEMAKER_PUBLIC_URL", url);
        }
        let mut child = cmd.spawn().unwrap();
        // The setup link is printed after the warning is logged.
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let link = stdout.lines().map_while(Result::ok).find(|line| line.contains("/setup?token="));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(link.is_some(), "the server started");
        let mut log = String::new();
        child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
        assert_eq!(log.contains("CHANGEMAKER_PUBLIC_URL is not set"), warned, "{public_url:?}: {log}");
    }
}

#[test]
fn create_admin_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let run = |password: &str| {
        let mut child = command(dir.path())
            .args(["create-admin", "--email", "Ops@Example.org", "--name", "Ops"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let short = run("short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));

    let out = run("correct horse battery staple");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Created super admin ops@example.org"));

    let again = run("correct horse battery staple");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

/// Runs `changemaker backup <to>` on the data directory `dir`.
fn backup(dir: &std::path::Path, to: &std::path::Path) -> std::process::Output {
    command(dir).arg("backup").arg(to).output().unwrap()
}

/// Runs `create-admin` for `email` with a good password, as `changemaker` set up by `cmd`.
fn create_admin(mut cmd: Command, email: &str) -> std::process::Output {
    let mut child = cmd
        .args(["create-admin", "--email", email])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"correct horse battery staple\n").unwrap();
    child.wait_with_output().unwrap()
}

/// Starts the server on `dir` and waits until it answers `GET /readyz` with 200.
fn start_server(dir: &std::path::Path) -> std::process::Child {
    let port = free_port();
    let mut child = command(dir)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut stream| {
            stream.write_all(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
            let mut status = String::new();
            BufReader::new(stream).read_line(&mut status)?;
            Ok(status)
        });
        if answer.is_ok_and(|status| status.starts_with("HTTP/1.1 200")) {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not become ready");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

/// The command failed with `code`, saying `message` on stderr.
fn expect_refused(out: &std::process::Output, code: i32, message: &str) {
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{said}");
    assert!(said.contains(message), "{said}");
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

async fn user_emails(database: &std::path::Path) -> Vec<String> {
    let db = app::db::Db::connect(&format!("sqlite://{}", database.display())).await.unwrap();
    let emails =
        sqlx::query_scalar("SELECT email FROM users ORDER BY email").fetch_all(db.pool()).await.unwrap();
    db.close().await;
    emails
}

#[tokio::test]
async fn backup_copies_what_the_running_server_committed_and_a_server_starts_from_it() {
    let data = tempfile::tempdir().unwrap();
    let out = create_admin(command(data.path()), "first@example.org");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let videos = data.path().join("media/videos");
    std::fs::write(videos.join("clip.mp4"), b"a video's bytes").unwrap();
    std::fs::write(data.path().join("media/pictures/photo.png"), b"a picture's bytes").unwrap();
    std::fs::write(data.path().join("media/incoming/arriving"), b"half a video").unwrap();

    // While the server runs, another process commits a second admin; the backup has both.
    let mut server = start_server(data.path());
    let out = create_admin(command(data.path()), "second@example.org");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let kept = tempfile::tempdir().unwrap();
    let to = kept.path().join("backup");
    let out = backup(data.path(), &to);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("database: ")
            && said.contains("secret key: ")
            && said.contains("videos: 1 ")
            && said.contains("pictures: 1 "),
        "{said}"
    );
    // A commit after the backup is not in it.
    assert!(create_admin(command(data.path()), "third@example.org").status.success());
    Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert_eq!(server.wait().unwrap().code(), Some(0));

    assert_eq!(files_in(&to), ["changemaker.db", "media", "secret.key"]);
    assert_eq!(user_emails(&to.join("changemaker.db")).await, ["first@example.org", "second@example.org"]);
    assert_eq!(
        std::fs::read(to.join("secret.key")).unwrap(),
        std::fs::read(data.path().join("secret.key")).unwrap()
    );
    assert_eq!(files_in(&to.join("media")), ["pictures", "videos"]);
    assert_eq!(std::fs::read(to.join("media/videos/clip.mp4")).unwrap(), b"a video's bytes");
    assert_eq!(std::fs::read(to.join("media/pictures/photo.png")).unwrap(), b"a picture's bytes");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&to), 0o700);
        assert_eq!(mode(&to.join("secret.key")), 0o600);
    }

    // The backup is a data directory: a server starts from it, with its admins.
    expect_refused(&create_admin(command(&to), "first@example.org"), 1, "already exists");
    let mut restored = start_server(&to);
    Command::new("kill").args(["-TERM", &restored.id().to_string()]).status().unwrap();
    assert_eq!(restored.wait().unwrap().code(), Some(0));
}

#[test]
fn backup_refuses_a_folder_in_use_a_missing_database_or_no_folder_and_takes_back_a_failed_copy() {
    let data = tempfile::tempdir().unwrap();
    assert!(create_admin(command(data.path()), "first@example.org").status.success());
    let kept = tempfile::tempdir().unwrap();
    std::fs::write(kept.path().join("notes.txt"), b"mine").unwrap();
    let out = backup(data.path(), kept.path());
    expect_refused(&out, 1, "is not empty");
    assert_eq!(files_in(kept.path()), ["notes.txt"]);

    // A data directory without a database: nothing is created, here or there.
    let empty = tempfile::tempdir().unwrap();
    let to = kept.path().join("backup");
    let out = backup(empty.path(), &to);
    expect_refused(&out, 1, "there is no database");
    assert!(!to.exists());
    assert!(files_in(empty.path()).is_empty());

    let out = command(data.path()).arg("backup").output().unwrap();
    expect_refused(&out, 2, "backup needs one folder");

    // A backup that fails part way (here the videos cannot be read, after the database was
    // copied) takes back what it wrote: a new folder is gone, an empty one is empty again.
    std::fs::remove_dir_all(data.path().join("media/videos")).unwrap();
    std::fs::write(data.path().join("media/videos"), b"not a folder").unwrap();
    let new = kept.path().join("new");
    let out = backup(data.path(), &new);
    expect_refused(&out, 1, "cannot read");
    assert!(!new.exists());
    let ready = kept.path().join("ready");
    std::fs::create_dir(&ready).unwrap();
    expect_refused(&backup(data.path(), &ready), 1, "cannot read");
    assert!(files_in(&ready).is_empty());
}

#[tokio::test]
async fn backup_of_a_postgresql_server_copies_the_key_and_says_to_use_pg_dump() {
    let data = tempfile::tempdir().unwrap();
    let url = crate::common::fresh_postgres_url().await;
    let on_postgres = || {
        let mut cmd = command(data.path());
        cmd.env("DATABASE_URL", &url);
        cmd
    };
    let out = create_admin(on_postgres(), "first@example.org");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let kept = tempfile::tempdir().unwrap();
    let to = kept.path().join("backup");
    let out = on_postgres().arg("backup").arg(&to).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("PostgreSQL, not copied: back it up with pg_dump"));
    assert_eq!(files_in(&to), ["secret.key"]);
}
