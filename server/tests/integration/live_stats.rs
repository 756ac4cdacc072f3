//! The `live-stats` listener and the home page's "Together so far", on both databases.

use crate::common::{TestApp, eventually, shift_tomorrow};
use app::bus;
use app::events::catalog::*;
use app::events::{Actor, Event};
use serde_json::Value;

on_both_backends!(the_home_page_counts_what_people_do_once_each_without_names);

async fn stats(app: &TestApp) -> Value {
    let res = app.call(&app.client(), "home/stats", &[]).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The counters as `(value, label)`, in the page's order.
fn counters(stats: &Value) -> Vec<(i64, String)> {
    let counters = stats["counters"].as_array().unwrap();
    counters
        .iter()
        .map(|c| (c["value"].as_i64().unwrap(), c["label"].as_str().unwrap().to_string()))
        .collect()
}

fn latest(stats: &Value) -> Vec<String> {
    stats["latest"].as_array().unwrap().iter().map(|i| i["text"].as_str().unwrap().to_string()).collect()
}

async fn the_home_page_counts_what_people_do_once_each_without_names(app: TestApp) {
    // Nothing yet: every count 0, and the home page shows no section.
    let empty = stats(&app).await;
    assert!(counters(&empty).iter().all(|(value, _)| *value == 0));
    assert!(!app.page(&app.client(), "/").await.contains("Together so far"));

    // A real sign-up for a public shift; one for a private shift; a waitlisted one (not
    // counted until promoted); a monthly donation; two tickets; an email to a representative.
    let public = app::shifts::service::create(&app.bus(), &Actor::System, &shift_tomorrow("Leafleting"))
        .await
        .unwrap();
    let args =
        [("shift_id", public.id.as_str()), ("form[name]", "Jo Public"), ("form[email]", "jo@example.org")];
    assert_eq!(app.call(&app.client(), "shifts/sign-up", &args).await.status(), 200);
    let private_form = app::shifts::ShiftForm { is_public: false, ..shift_tomorrow("Board prep") };
    let private = app::shifts::service::create(&app.bus(), &Actor::System, &private_form).await.unwrap();
    let signup = |shift: &app::shifts::Shift, waitlisted: bool| {
        Event::ShiftSignupCreated(ShiftSignupCreated {
            shift_id: shift.id.clone(),
            shift_title: shift.title.clone(),
            name: "Private Person".into(),
            waitlisted,
            ..Default::default()
        })
    };
    let mut seqs =
        vec![app.publish(&signup(&private, false)).await, app.publish(&signup(&public, true)).await];
    let others = [
        Event::DonationCompleted(DonationCompleted {
            donor_name: "Dee Donor".into(),
            amount_cents: 5000,
            recurring: true,
            ..Default::default()
        }),
        Event::TicketPurchased(TicketPurchased {
            event_title: "Gala".into(),
            buyer_name: "Tia".into(),
            quantity: 2,
            ..Default::default()
        }),
        Event::CampaignEmailSent(CampaignEmailSent {
            campaign_title: "Clean Air Now".into(),
            supporter_name: "Sam".into(),
            ..Default::default()
        }),
    ];
    for event in &others {
        seqs.push(app.publish(event).await);
    }
    let expected = vec![
        (2, "volunteer sign-ups".to_string()),
        (1, "email to a representative".to_string()),
        (1, "donation".to_string()),
        (2, "tickets taken".to_string()),
    ];
    eventually("the counters follow", || async { counters(&stats(&app).await) == expected }).await;
    let shown = stats(&app).await;
    // Newest first, in the order they happened even within one second.
    assert_eq!(
        latest(&shown),
        [
            "Someone wrote to their representative about Clean Air Now",
            "Someone got a ticket for Gala",
            "Someone became a monthly donor",
            "Someone signed up for a shift",
            "Someone signed up for Leafleting",
        ]
    );
    assert_eq!(shown["latest"][0]["ago"], "just now");

    // Delivered again, nothing is counted twice.
    let listener = app::home::stats::listener(app.db.clone());
    for seq in seqs {
        let envelope = bus::outbox::read_one(&app.db, seq).await.unwrap().unwrap();
        (listener.handler)(vec![envelope]).await.unwrap();
    }
    assert_eq!(counters(&stats(&app).await), expected);

    // The home page shows the counts and the latest, and no one's name.
    let home = app.page(&app.client(), "/").await;
    assert!(home.contains("Together so far") && home.contains("volunteer sign-ups"), "{home}");
    assert!(home.contains("Someone wrote to their representative about Clean Air Now"), "{home}");
    for name in ["Jo Public", "Private Person", "Board prep", "Dee Donor", "Tia", "Sam"] {
        assert!(!home.contains(name), "{name} is on the home page");
    }
}
