//! Progress bars for long imports (indicatif), hidden when not on a terminal.

use dailypapers_ingest::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// An indicatif bar counting `unit`s (records, files, bytes).
pub struct Bar(ProgressBar);

impl Bar {
    pub fn new(unit: &str) -> Bar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(5));
        let template = if unit == "bytes" {
            "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} ({eta}) {msg}"
        } else {
            "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} {msg}"
        };
        bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
        Bar(bar)
    }

    /// Sets the position, the length and the message at once.
    pub fn set(&self, position: u64, total: u64, message: &str) {
        self.0.set_length(total);
        self.0.set_position(position);
        self.0.set_message(message.to_owned());
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// A bar dropped before `finish` is cleared too (an import that failed).
impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

impl Progress for Bar {
    fn set_length(&self, total: u64) {
        self.0.set_length(total);
    }
    fn set_position(&self, position: u64) {
        self.0.set_position(position);
    }
    fn advance(&self, by: u64) {
        self.0.inc(by);
    }
    fn message(&self, text: String) {
        self.0.set_message(text);
    }
}
