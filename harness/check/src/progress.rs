//! What a check says as it goes, for a progress display: the probes, then each profile's
//! flow. One `check` of one target runs one flow per observed profile, so the probes and
//! those flows are its steps.

use std::fmt;
use std::sync::Arc;

use crate::{CheckOptions, Consent};

/// One step of one target's check, just finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStep {
    /// The probes that need no person are done; `flows` profile flows follow (none without
    /// consent, or when the server could not be reached).
    Probed { flows: usize },
    /// The flow of profile `index` (from 0, the `--profile` flow first) of `of` is done.
    Flow {
        index: usize,
        of: usize,
        profile: &'static str,
    },
}

/// Called after each step of a check (from the task running it).
#[derive(Clone)]
pub struct CheckProgress(Arc<dyn Fn(CheckStep) + Send + Sync>);

impl CheckProgress {
    pub fn new(report: impl Fn(CheckStep) + Send + Sync + 'static) -> Self {
        Self(Arc::new(report))
    }

    pub(crate) fn report(&self, step: CheckStep) {
        (self.0)(step);
    }
}

impl fmt::Debug for CheckProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CheckProgress")
    }
}

/// The steps a check with these options takes at most: the probes, and one flow per profile
/// it would observe once the server answers.
pub fn planned_steps(options: &CheckOptions) -> usize {
    let flows = match options.consent {
        Consent::Skip => 0,
        ref consent => options
            .profiles
            .resolve(options.profile, *consent == Consent::Browser)
            .len(),
    };
    1 + flows
}

/// Reports `step` when there is someone to tell.
pub(crate) fn tell(progress: Option<&CheckProgress>, step: CheckStep) {
    if let Some(progress) = progress {
        progress.report(step);
    }
}
