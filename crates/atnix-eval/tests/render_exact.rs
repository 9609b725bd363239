//! The renderer writes exactly what NixOS's systemd-lib.nix writes. Needs no Nix.

use atnix_eval::render::{self, UnitDef};
use serde_json::json;

fn def(v: serde_json::Value) -> UnitDef {
    serde_json::from_value(v).expect("valid unit definition")
}

#[test]
fn service_is_rendered_exactly() {
    let unit = def(json!({
        "kind": "service",
        "unitConfig": { "After": "network.target postgresql.service", "Description": "demo", "StartLimitBurst": "5" },
        "serviceConfig": {
            "ExecStart": "/nix/store/aaaa-demo/bin/demo --port 8080",
            "ExecStartPre": ["/nix/store/bbbb-unit-script-demo-pre-start/bin/demo-pre-start"],
            "NoNewPrivileges": true,
            "MemoryDenyWriteExecute": false,
            "RestartSec": 5,
            "SystemCallFilter": ["@system-service", "~@privileged"],
            "CapabilityBoundingSet": [""],
            "AmbientCapabilities": [],
            "Environment": "RAW=not quoted"
        },
        "environment": { "PATH": "/nix/store/cccc-coreutils/bin", "QUOTE": "a \"b\" \\ c\nd", "DROPPED": null },
        "wantedBy": ["multi-user.target"],
        "restartIfChanged": false,
        "stopIfChanged": false
    }));
    let expected = "[Unit]
After=network.target postgresql.service
Description=demo
StartLimitBurst=5

[Service]
Environment=\"PATH=/nix/store/cccc-coreutils/bin\"
Environment=\"QUOTE=a \\\"b\\\" \\\\ c\\nd\"
X-RestartIfChanged=false
X-StopIfChanged=false
CapabilityBoundingSet=
Environment=RAW=not quoted
ExecStart=/nix/store/aaaa-demo/bin/demo --port 8080
ExecStartPre=/nix/store/bbbb-unit-script-demo-pre-start/bin/demo-pre-start
MemoryDenyWriteExecute=false
NoNewPrivileges=true
RestartSec=5
SystemCallFilter=@system-service
SystemCallFilter=~@privileged

[Install]
WantedBy=multi-user.target
";
    assert_eq!(
        render::render_unit("demo.service", &unit).unwrap(),
        expected
    );
    assert_eq!(
        render::executables(&unit),
        vec![
            "/nix/store/bbbb-unit-script-demo-pre-start/bin/demo-pre-start".to_string(),
            "/nix/store/aaaa-demo/bin/demo".to_string(),
        ]
    );
}

#[test]
fn reload_if_changed_wins_and_empty_unit_section_stays() {
    let unit = def(json!({
        "kind": "service",
        "serviceConfig": { "Type": "oneshot" },
        "reloadIfChanged": true,
        "restartIfChanged": false,
        "notSocketActivated": true
    }));
    assert_eq!(
        render::render_unit("x.service", &unit).unwrap(),
        "[Unit]\n\n[Service]\nX-ReloadIfChanged=true\nX-NotSocketActivated=true\nType=oneshot\n"
    );
}

#[test]
fn socket_and_timer_are_rendered_exactly() {
    let socket = def(json!({
        "kind": "socket",
        "socketConfig": { "SocketMode": "0660" },
        "listenStreams": ["127.0.0.1:80", "/run/x.sock"],
        "wantedBy": ["sockets.target"]
    }));
    assert_eq!(
        render::render_unit("x.socket", &socket).unwrap(),
        "[Unit]\n\n[Socket]\nSocketMode=0660\n\nListenStream=127.0.0.1:80\nListenStream=/run/x.sock\n\n\n[Install]\nWantedBy=sockets.target\n"
    );
    let timer = def(json!({
        "kind": "timer",
        "unitConfig": { "Description": "nightly" },
        "timerConfig": { "OnCalendar": ["daily"], "Persistent": true },
        "wantedBy": ["timers.target"]
    }));
    assert_eq!(
        render::render_unit("x.timer", &timer).unwrap(),
        "[Unit]\nDescription=nightly\n\n[Timer]\nOnCalendar=daily\nPersistent=true\n\n\n[Install]\nWantedBy=timers.target\n"
    );
}

#[test]
fn attribute_set_values_are_refused() {
    let unit = def(json!({ "kind": "service", "serviceConfig": { "X": { "a": 1 } } }));
    assert!(render::render_unit("x.service", &unit).is_err());
}

#[test]
fn exec_path_handles_prefixes_and_quotes() {
    assert_eq!(
        render::exec_path("-/nix/store/a-x/bin/x --y").as_deref(),
        Some("/nix/store/a-x/bin/x")
    );
    assert_eq!(
        render::exec_path("+\"/nix/store/a-x/bin/x\" \"--y\"").as_deref(),
        Some("/nix/store/a-x/bin/x")
    );
    assert_eq!(render::exec_path("relative --y"), None);
}

#[test]
fn store_paths_are_found_in_text_and_scripts() {
    let unit = "ExecStart=/nix/store/0123456789abcdfghijklmnpqrsvwxyz-demo-1.0/bin/demo\nX=/nix/store/short-x\n";
    let script = "exec \"/nix/store/zyxwvsrqpnmlkjihgfdcba9876543210-other/bin/o\" --flag";
    assert_eq!(
        render::store_paths([unit, script]),
        vec![
            "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-demo-1.0".to_string(),
            "/nix/store/zyxwvsrqpnmlkjihgfdcba9876543210-other".to_string(),
        ]
    );
}
