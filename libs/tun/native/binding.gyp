{
  # The packet engine addon. Built by `npm run build:native` (node-gyp --nodedir=/usr).
  # OpenSSL comes from Node's own headers and Node's binary exports its symbols at load
  # time: we deliberately link NO libcrypto (a second OpenSSL would shadow Node's).
  "targets": [
    {
      "target_name": "vpcmesh_tun",
      "sources": [
        "addon.cc",
        "aead.cc",
        "engine.cc",
        "engine_io.cc",
        "engine_offload.cc",
        "replay_window.cc",
        "session_table.cc",
        "tcp_offload.cc",
        "test_hooks.cc",
        "tun_device.cc",
        "udp_socket.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [["OS!='linux'", { "type": "none" }]]
    }
  ]
}
