//! Runs rendered units under a real systemd in systemd-nspawn and checks they answer
