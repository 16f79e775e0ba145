mod admin;
mod device_identity;
mod device_log;
mod enroll;
mod sync;
mod sync_guard;
mod tus;
