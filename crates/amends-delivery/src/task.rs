//! Tasks for a person: a message on a channel with no provider configured (a call to make, a
//! text to send by hand, a chat post) becomes a task in the store, never silently dropped.
//! The task is keyed like its job, so a retried delivery creates it once.
//!
//! A job's payload names the person (`person`, or the contact's `name`), the way (`via`),
//! what to do (`do`, else the subject) and what to say (`body`).

use amends_store::{Job, Store, Task};

use crate::channel::{Channel, Delivery, DeliveryError};

/// The task channel.
pub struct TaskChannel {
    store: Store,
}

impl TaskChannel {
    /// A channel creating tasks in `store`.
    pub fn new(store: Store) -> TaskChannel {
        TaskChannel { store }
    }
}

#[derive(serde::Deserialize)]
struct Payload {
    person: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    via: String,
    #[serde(rename = "do")]
    action: Option<String>,
    subject: Option<String>,
    body: String,
}

impl Channel for TaskChannel {
    fn name(&self) -> &str {
        "task"
    }

    fn deliver<'a>(&'a self, job: &'a Job) -> Delivery<'a> {
        Box::pin(async move {
            let p: Payload = serde_json::from_str(&job.payload).map_err(|e| {
                DeliveryError::permanent(format!("the job's payload is not a task: {e}"))
            })?;
            let person = p
                .person
                .or(p.name)
                .ok_or_else(|| DeliveryError::permanent("the task names nobody"))?;
            let what = p
                .action
                .or(p.subject)
                .unwrap_or_else(|| "Get in touch".into());
            let title = match p.phone {
                Some(phone) => format!("{what} ({} {person}, {phone})", p.via),
                None => format!("{what} ({} {person})", p.via),
            };
            let task = Task {
                key: job.key.clone(),
                incident_id: job.incident_id.clone(),
                person,
                via: p.via,
                title,
                body: p.body,
                created_ms: job.due_ms,
                done: None,
            };
            match self.store.add_task(&task).await {
                Ok(true) => Ok(Some("task created".into())),
                Ok(false) => Ok(Some("task already there".into())),
                Err(e) => Err(DeliveryError::transient(format!(
                    "cannot store the task: {e}"
                ))),
            }
        })
    }
}
