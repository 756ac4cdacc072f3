//! `changemaker`: run the server, `changemaker create-admin --email …`, or
//! `changemaker backup DIR`.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use changemaker_server::config::{Config, LogFormat};
use changemaker_server::{StartError, bind, prepare, serve, shutdown_signal};

const USAGE: &str = "usage:
  changemaker                                          run the server
  changemaker create-admin --email EMAIL [--name NAME]  create a super admin (password on stdin)
  changemaker backup DIR                               copy the database, the secret key and the
                                                       videos into DIR, a new or empty folder
                                                       (safe while the server runs)
  changemaker --help                                   show this help

Configuration comes from the environment; see README.md.";

enum Command {
    Serve,
    CreateAdmin { email: String, name: String },
    Backup { to: std::path::PathBuf },
    Help,
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    match args.first().map(String::as_str) {
        None => Ok(Command::Serve),
        Some("--help" | "-h" | "help") => Ok(Command::Help),
        Some("create-admin") => {
            let mut email = None;
            let mut name = None;
            let mut rest = args[1..].iter();
            while let Some(flag) = rest.next() {
                let value = rest.next().ok_or_else(|| format!("{flag} needs a value"))?;
                match flag.as_str() {
                    "--email" => email = Some(value.clone()),
                    "--name" => name = Some(value.clone()),
                    other => return Err(format!("unknown option {other}")),
                }
            }
            let email = email.ok_or("create-admin needs --email")?;
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or("Admin").to_string());
            Ok(Command::CreateAdmin { email, name })
        }
        Some("backup") => match &args[1..] {
            [to] if !to.starts_with('-') => Ok(Command::Backup { to: to.into() }),
            _ => Err("backup needs one folder to write to".to_string()),
        },
        Some(other) => Err(format!("unknown command {other}")),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse_args(&args) {
        Ok(command) => command,
        Err(problem) => {
            eprintln!("changemaker: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Command::Help = command {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_process_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("changemaker: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config);
    let outcome = match command {
        Command::CreateAdmin { email, name } => create_admin(&config, &email, &name).await,
        Command::Backup { to } => backup(&config, &to).await,
        _ => run(&config).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("changemaker: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::new(&config.log_filter);
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn run(config: &Config) -> Result<(), String> {
    let shutdown = shutdown_signal();
    let prepared = prepare(config).await.map_err(|e: StartError| e.to_string())?;
    let listener = bind(config.site_addr).await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%addr, public_url = %config.public_url, "listening");
    if config.site_addr.ip().is_unspecified() && config.public_url == format!("http://{}", config.site_addr) {
        // The default public address of a server listening everywhere is nobody's address.
        tracing::warn!(
            public_url = %config.public_url,
            "CHANGEMAKER_PUBLIC_URL is not set: links sent out (emails, QR codes, calendar files) lead nowhere until it is the address people use"
        );
    }
    if let Some(token) = &prepared.setup_token {
        // Printed, not logged: the link is a one-time credential and logs are kept.
        println!(
            "\nFirst run: no administrator exists yet. Open this one-time link to create one:\n\n  {}/setup?token={token}\n",
            config.public_url
        );
        let _ = std::io::stdout().flush();
    }
    serve(listener, prepared.state, &config.database_url, shutdown).await.map_err(|e| e.to_string())?;
    tracing::info!("stopped");
    Ok(())
}

async fn create_admin(config: &Config, email: &str, name: &str) -> Result<(), String> {
    let prepared = prepare(config).await.map_err(|e| e.to_string())?;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password for {email} (at least 12 characters; it will be visible as you type): ");
        let _ = std::io::stderr().flush();
    }
    let mut password = String::new();
    stdin.lock().read_line(&mut password).map_err(|e| format!("cannot read the password: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    let user = app::auth::service::create_super_admin(&prepared.state.db, email, name, password)
        .await
        .map_err(|e| match e {
            app::auth::service::AuthError::User(app::users::service::UserError::Invalid(errors))
            | app::auth::service::AuthError::Invalid(errors) => {
                errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" ")
            }
            other => other.to_string(),
        })?;
    prepared.state.db.close().await;
    println!("Created super admin {} ({}).", user.email, user.id);
    Ok(())
}

async fn backup(config: &Config, to: &std::path::Path) -> Result<(), String> {
    let copied = changemaker_server::backup::back_up(config, to).await.map_err(|e| e.to_string())?;
    println!("Backed up into {}:", to.display());
    for line in copied {
        println!("  {line}");
    }
    Ok(())
}
