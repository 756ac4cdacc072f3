//! Every event of SPEC §2, one Rust type each, with its topic and module. Payloads carry ids
//! and the facts listeners need — names, amounts in cents, times as RFC 3339 UTC — and never
//! a secret, a password hash or a payment provider's internal id.

use serde::{Deserialize, Serialize};

/// The modules of SPEC §2 that publish events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Module {
    Shifts,
    Canvass,
    Responses,
    Campaigns,
    Payments,
    Contacts,
    Reengagement,
    Users,
    Sms,
    Media,
    TicketedEvents,
    Social,
    Meetings,
    Newsletter,
    System,
}

impl Module {
    /// The topic prefixes this module publishes under.
    pub fn prefixes(self) -> &'static [&'static str] {
        match self {
            Module::Shifts => &["shift."],
            Module::Canvass => &["canvass."],
            Module::Responses => &["response."],
            Module::Campaigns => &["campaign."],
            Module::Payments => &["donation.", "subscription.", "product.", "payment."],
            Module::Contacts => &["contact."],
            Module::Reengagement => &["reengagement."],
            Module::Users => &["user."],
            Module::Sms => &["sms."],
            Module::Media => &["video."],
            Module::TicketedEvents => &["ticketed-event.", "ticket."],
            Module::Social => &["social."],
            Module::Meetings => &["meeting."],
            Module::Newsletter => &["newsletter."],
            Module::System => &["system."],
        }
    }
}

/// The shift a sign-up was moved from (an organiser's move, a volunteer's switch of date), in
/// `shift.signup.created`; that shift's sign-up is cancelled with reason MOVED.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MovedFrom {
    pub shift_id: String,
    pub title: String,
    pub starts_at: String,
}

/// One row of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicInfo {
    pub topic: &'static str,
    pub module: Module,
}

/// Declares the payload structs, the `Event` enum (serialised as `{topic, payload}`) and the
/// `CATALOG` table from one list, so the three can never disagree.
macro_rules! catalog {
    ($( $module:ident $topic:literal $name:ident { $($field:ident : $ty:ty),* $(,)? } )*) => {
        $(
            #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
            pub struct $name { $(pub $field: $ty),* }
        )*

        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "topic", content = "payload")]
        pub enum Event {
            $( #[serde(rename = $topic)] $name($name), )*
        }

        impl Event {
            pub fn topic(&self) -> &'static str {
                match self { $( Event::$name(_) => $topic, )* }
            }

            pub fn module(&self) -> Module {
                match self { $( Event::$name(_) => Module::$module, )* }
            }
        }

        pub const CATALOG: &[TopicInfo] = &[ $( TopicInfo { topic: $topic, module: Module::$module }, )* ];

        /// One event of every type, in catalog order, with default payloads (for tests).
        pub fn samples() -> Vec<Event> {
            vec![ $( Event::$name($name::default()), )* ]
        }
    };
}

catalog! {
    // shifts
    Shifts "shift.created" ShiftCreated {
        shift_id: String, title: String, starts_at: String, ends_at: String, location: String,
        capacity: i64, is_public: bool,
    }
    Shifts "shift.updated" ShiftUpdated {
        shift_id: String, title: String, starts_at: String, ends_at: String, location: String,
        capacity: i64, is_public: bool, status: String,
    }
    Shifts "shift.deleted" ShiftDeleted { shift_id: String, title: String }
    Shifts "shift.signup.created" ShiftSignupCreated {
        shift_id: String, shift_title: String, signup_id: String, contact_id: Option<String>,
        name: String, email: String, source: String, starts_at: String, waitlisted: bool,
        promoted: bool, moved_from: Option<MovedFrom>,
    }
    Shifts "shift.signup.cancelled" ShiftSignupCancelled {
        shift_id: String, shift_title: String, signup_id: String, contact_id: Option<String>,
        name: String, email: String, reason: String,
    }
    // Not in SPEC §2's table: an organiser marking whether a volunteer came (`attendance`
    // ATTENDED or NO_SHOW, or none when the mark is cleared).
    Shifts "shift.signup.marked" ShiftSignupMarked {
        shift_id: String, shift_title: String, signup_id: String, contact_id: Option<String>,
        attendance: Option<String>,
    }
    // canvass
    Canvass "canvass.session.completed" CanvassSessionCompleted {
        session_id: String, canvasser_user_id: String, doors_knocked: i64, conversations: i64,
        started_at: String, ended_at: String,
    }
    Canvass "canvass.visit.recorded" CanvassVisitRecorded {
        visit_id: String, session_id: String, address_id: String, contact_id: Option<String>,
        outcome: String,
    }
    Canvass "canvass.address.updated" CanvassAddressUpdated {
        address_id: String, street: String, city: String, postal_code: String,
        contact_id: Option<String>, email: Option<String>,
    }
    // Not in SPEC §2's table: a canvasser starting out (so organisers can see who is out), and
    // an address that was never visited taken off the list.
    Canvass "canvass.session.started" CanvassSessionStarted {
        session_id: String, canvasser_user_id: String, started_at: String,
    }
    Canvass "canvass.address.deleted" CanvassAddressDeleted { address_id: String, street: String }
    // responses
    Responses "response.submitted" ResponseSubmitted {
        response_id: String, campaign_id: String, campaign_title: String,
        representative_name: String, summary: String, contact_id: Option<String>,
    }
    // Not in SPEC §2's table: a moderator's decision (APPROVED shows on the public page,
    // REJECTED does not), which other moderators' open pages and automations follow.
    Responses "response.moderated" ResponseModerated {
        response_id: String, campaign_id: String, campaign_title: String, representative_name: String,
        status: String,
    }
    // campaigns
    Campaigns "campaign.created" CampaignCreated { campaign_id: String, slug: String, title: String, status: String }
    Campaigns "campaign.updated" CampaignUpdated { campaign_id: String, slug: String, title: String, status: String }
    Campaigns "campaign.deleted" CampaignDeleted { campaign_id: String, slug: String, title: String }
    Campaigns "campaign.published" CampaignPublished { campaign_id: String, slug: String, title: String, url_path: String }
    Campaigns "campaign.status.changed" CampaignStatusChanged {
        campaign_id: String, title: String, from_status: String, to_status: String,
        reason: Option<String>,
    }
    Campaigns "campaign.email.sent" CampaignEmailSent {
        campaign_id: String, campaign_title: String, email_id: String, contact_id: Option<String>,
        supporter_name: String, supporter_email: String, postal_code: Option<String>,
        recipient_count: i64,
    }
    // payments
    Payments "donation.completed" DonationCompleted {
        donation_id: String, contact_id: Option<String>, donor_name: String, donor_email: String,
        amount_cents: i64, currency: String, recurring: bool,
    }
    Payments "subscription.activated" SubscriptionActivated {
        subscription_id: String, contact_id: Option<String>, name: String, email: String,
        plan_id: String, plan_name: String, amount_cents: i64, currency: String, interval: String,
    }
    Payments "subscription.cancelled" SubscriptionCancelled {
        subscription_id: String, contact_id: Option<String>, email: String, plan_name: String,
    }
    Payments "product.purchased" ProductPurchased {
        order_id: String, product_id: String, product_name: String, contact_id: Option<String>,
        buyer_name: String, buyer_email: String, quantity: i64, amount_cents: i64, currency: String,
    }
    // Not in SPEC §2's table: the shop's products and the membership plans as admins make and
    // change them (in the payments' currency), for automations that list them elsewhere.
    Payments "product.created" ProductCreated {
        product_id: String, name: String, url_path: String, price_cents: i64, max_purchases: Option<i64>,
        active: bool,
    }
    Payments "product.updated" ProductUpdated {
        product_id: String, name: String, url_path: String, price_cents: i64, max_purchases: Option<i64>,
        active: bool,
    }
    Payments "subscription.plan.created" SubscriptionPlanCreated {
        plan_id: String, name: String, amount_cents: i64, interval: String, active: bool,
    }
    Payments "subscription.plan.updated" SubscriptionPlanUpdated {
        plan_id: String, name: String, amount_cents: i64, interval: String, active: bool,
    }
    Payments "payment.refunded" PaymentRefunded {
        payment_id: String, kind: String, contact_id: Option<String>, amount_cents: i64,
        currency: String,
    }
    Payments "payment.dispute.created" PaymentDisputeCreated {
        payment_id: String, kind: String, amount_cents: i64, currency: String, reason: String,
    }
    Payments "payment.dispute.closed" PaymentDisputeClosed { payment_id: String, kind: String, outcome: String }
    // contacts
    Contacts "contact.created" ContactCreated { contact_id: String, email: String, name: String, source: String }
    Contacts "contact.tags.changed" ContactTagsChanged {
        contact_id: String, email: String, added: Vec<String>, removed: Vec<String>,
    }
    // Not in SPEC §2's table: SPEC §1 has every change of state publish an event, and the
    // newsletter must hear that someone wants no more bulk email. `source` is LINK (the
    // unsubscribe link or a mail app's one-click button), NEWSLETTER (a report) or MERGE (a
    // contact merged with one who had unsubscribed).
    Contacts "contact.unsubscribed" ContactUnsubscribed { contact_id: String, email: String, source: String }
    // Someone who unsubscribed by mistake and took it back with the same link. The newsletter
    // leaves it to them to subscribe there again.
    Contacts "contact.resubscribed" ContactResubscribed { contact_id: String, email: String }
    // Not in SPEC §2's table either: an admin's correction of a contact's details, and a merge
    // of two contacts, which the newsletter and automations must follow. `previous_email` is
    // the address before the change (the same as `email` when only the name or phone changed).
    Contacts "contact.updated" ContactUpdated {
        contact_id: String, name: String, email: String, previous_email: String, phone: Option<String>,
    }
    Contacts "contact.merged" ContactMerged {
        contact_id: String, email: String, merged_contact_id: String, merged_email: String,
    }
    // A contact's personal data erased at their request. Only the id: the newsletter finds
    // their subscriber by the id it keeps in their attributes, and the address must not
    // outlive the erasure here.
    Contacts "contact.erased" ContactErased { contact_id: String }
    // re-engagement
    Reengagement "reengagement.sent" ReengagementSent {
        contact_id: String, email: String, name: String, message_id: String, subject: String,
    }
    // users
    Users "user.created" UserCreated { user_id: String, email: String, display_name: String, role: String, status: String }
    Users "user.updated" UserUpdated { user_id: String, email: String, display_name: String, role: String, status: String }
    Users "user.deleted" UserDeleted { user_id: String, email: String }
    Users "user.approved" UserApproved { user_id: String, email: String, display_name: String }
    // sms
    Sms "sms.campaign.started" SmsCampaignStarted { campaign_id: String, name: String, recipient_count: i64 }
    Sms "sms.campaign.completed" SmsCampaignCompleted {
        campaign_id: String, name: String, sent_count: i64, failed_count: i64,
    }
    Sms "sms.message.sent" SmsMessageSent {
        message_id: String, campaign_id: Option<String>, contact_id: Option<String>, to: String,
    }
    // Twilio's delivery report on a text sent (not in SPEC §2's table, which has no event for
    // it, while SPEC §1 asks for one per change of state).
    Sms "sms.message.delivery" SmsMessageDelivery {
        message_id: String, campaign_id: Option<String>, contact_id: Option<String>, to: String,
        delivered: bool, error: Option<String>,
    }
    Sms "sms.message.received" SmsMessageReceived {
        message_id: String, contact_id: Option<String>, from: String, body: String, sentiment: String,
    }
    // media
    Media "video.published" VideoPublished { video_id: String, title: String, url_path: String }
    Media "video.unpublished" VideoUnpublished { video_id: String, title: String }
    Media "video.viewed" VideoViewed { video_id: String, title: String, contact_id: Option<String> }
    // Not in SPEC §2's table: a video made, edited (its file too) or deleted, so an automation
    // that mirrors the public videos can follow. `status` is DRAFT or PUBLISHED.
    Media "video.created" VideoCreated { video_id: String, title: String }
    Media "video.updated" VideoUpdated { video_id: String, title: String, url_path: String, status: String }
    Media "video.deleted" VideoDeleted { video_id: String, title: String }
    // ticketed events
    TicketedEvents "ticketed-event.published" TicketedEventPublished {
        event_id: String, title: String, starts_at: String, ends_at: String, venue: String,
        url_path: String,
    }
    TicketedEvents "ticketed-event.cancelled" TicketedEventCancelled { event_id: String, title: String, starts_at: String }
    // Not in SPEC §2's table: an event made (a draft), edited (draft or published; a published
    // one's edit also publishes `ticketed-event.published` again, for the calendars) or a draft
    // deleted. `status` is DRAFT or PUBLISHED.
    TicketedEvents "ticketed-event.created" TicketedEventCreated { event_id: String, title: String, starts_at: String }
    TicketedEvents "ticketed-event.updated" TicketedEventUpdated {
        event_id: String, title: String, starts_at: String, ends_at: String, venue: String,
        url_path: String, status: String,
    }
    TicketedEvents "ticketed-event.deleted" TicketedEventDeleted { event_id: String, title: String }
    TicketedEvents "ticket.purchased" TicketPurchased {
        ticket_id: String, event_id: String, event_title: String, tier_name: String,
        tier_kind: String, contact_id: Option<String>, buyer_name: String, buyer_email: String,
        quantity: i64, amount_cents: i64, currency: String,
    }
    TicketedEvents "ticket.cancelled" TicketCancelled {
        ticket_id: String, event_id: String, event_title: String, tier_name: String,
        contact_id: Option<String>, by: String,
    }
    TicketedEvents "ticket.checked-in" TicketCheckedIn {
        ticket_id: String, event_id: String, event_title: String, contact_id: Option<String>,
        checked_in_at: String,
    }
    // social
    Social "social.impact-story.published" ImpactStoryPublished {
        story_id: String, title: String, summary: String, url_path: String,
    }
    // Not in SPEC §2's table, like the videos' own: a story made, edited, taken back to draft
    // or deleted. `status` is DRAFT or PUBLISHED.
    Social "social.impact-story.created" ImpactStoryCreated { story_id: String, title: String }
    Social "social.impact-story.updated" ImpactStoryUpdated {
        story_id: String, title: String, summary: String, url_path: String, status: String,
    }
    Social "social.impact-story.unpublished" ImpactStoryUnpublished { story_id: String, title: String }
    Social "social.impact-story.deleted" ImpactStoryDeleted { story_id: String, title: String }
    // meetings
    Meetings "meeting.created" MeetingCreated {
        meeting_id: String, title: String, starts_at: String, ends_at: String, location: String,
    }
    Meetings "meeting.updated" MeetingUpdated {
        meeting_id: String, title: String, starts_at: String, ends_at: String, location: String,
    }
    Meetings "meeting.deleted" MeetingDeleted { meeting_id: String, title: String }
    Meetings "meeting.attendee.invited" MeetingAttendeeInvited { meeting_id: String, title: String, email: String }
    Meetings "meeting.attendee.removed" MeetingAttendeeRemoved { meeting_id: String, title: String, email: String }
    // `reply`: YES or NO, as the person invited answered through their link.
    Meetings "meeting.attendee.replied" MeetingAttendeeReplied {
        meeting_id: String, title: String, email: String, reply: String,
    }
    // newsletter (inbound reports)
    Newsletter "newsletter.email.opened" NewsletterEmailOpened {
        subscriber_email: String, contact_id: Option<String>, message_id: String,
    }
    Newsletter "newsletter.email.clicked" NewsletterEmailClicked {
        subscriber_email: String, contact_id: Option<String>, message_id: String, url: String,
    }
    Newsletter "newsletter.email.bounced" NewsletterEmailBounced {
        subscriber_email: String, contact_id: Option<String>, message_id: String, hard: bool,
    }
    Newsletter "newsletter.unsubscribed" NewsletterUnsubscribed {
        subscriber_email: String, contact_id: Option<String>, list: String,
    }
    // system
    System "system.test" SystemTest { message: String }
}
