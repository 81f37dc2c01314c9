{
  # The packet engine addons. Built by `npm run build:native` (scripts/build-native.mjs).
  # OpenSSL comes from Node's own headers and Node's binary exports its symbols at load
  # time: we deliberately link NO libcrypto (a second OpenSSL would shadow Node's).
  #
  # vpcmesh_tun is what production loads (libs/tun/src/native.ts). vpcmesh_tun_test is the
  # same engine plus the test hooks (test_hooks.h) and VPCMESH_TEST_HOOKS, loaded only by
  # libs/tun/src/testing/native-hooks.ts. Both link vpcmesh_tun_core, so the shared sources
  # compile once; engine.cc compiles once per addon because of the define.
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions"],
    "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fPIC", "-pthread"],
    "ldflags": ["-pthread"]
  },
  "targets": [
    {
      "target_name": "vpcmesh_tun_core",
      "type": "static_library",
      "sources": [
        "aead.cc",
        "datagram_open.cc",
        "forwarding_table.cc",
        "lane_io.cc",
        "lane_offload.cc",
        "module_exports.cc",
        "replay_window.cc",
        "session_table.cc",
        "slot_arg.cc",
        "tcp_offload.cc",
        "tun_device.cc",
        "udp_socket.cc",
        "worker.cc"
      ],
      "conditions": [["OS!='linux'", { "type": "none" }]]
    },
    {
      "target_name": "vpcmesh_tun",
      "dependencies": ["vpcmesh_tun_core"],
      "sources": ["addon.cc", "engine.cc", "engine_forwarding.cc", "engine_js.cc"],
      "conditions": [["OS!='linux'", { "type": "none" }]]
    },
    {
      "target_name": "vpcmesh_tun_test",
      "dependencies": ["vpcmesh_tun_core"],
      "sources": ["engine.cc", "engine_forwarding.cc", "engine_js.cc", "test_addon.cc", "test_hooks.cc"],
      "defines": ["VPCMESH_TEST_HOOKS"],
      "conditions": [["OS!='linux'", { "type": "none" }]]
    }
  ]
}
