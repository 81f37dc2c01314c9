// The engine's UDP socket and address helpers. IPv4 binds give an AF_INET socket;
// IPv6 binds (including "::") give a dual-stack AF_INET6 socket that also carries IPv4
// as v4-mapped addresses. Addresses cross into JavaScript as plain strings, never mapped.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "sys_error.h"
#include "unique_fd.h"

namespace vpcmesh {

struct UdpConfig {
  std::string host = "0.0.0.0";  // IPv4 or IPv6 literal to bind
  int port = 0;                  // 0 = kernel picks
  int bufferBytes = 4 << 20;     // SO_RCVBUF and SO_SNDBUF request
  bool gro = false;              // UDP_GRO: receive runs of datagrams as one buffer (best effort)
  int fwmark = 0;                // SO_MARK on every datagram sent (policy routing); 0 = none
  bool reusePort = false;        // SO_REUSEPORT: several sockets share the port (one per worker)
};

// A socket address sized for either family; `len` 0 means "unset".
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  bool set() const { return len != 0; }
};

// Opens, tunes and binds the socket (non-blocking, close-on-exec). On success *fd owns it,
// *family is the socket's address family, *boundPort the actual port; on failure nothing
// stays open.
SysError OpenUdp(const UdpConfig& cfg, UniqueFd* fd, int* family, int* boundPort);

// Parses `ip`/`port` into an address usable on a socket of `family` (IPv4 becomes
// v4-mapped on AF_INET6). False if the literal is invalid or IPv6 on an AF_INET socket.
bool ParseEndpoint(const std::string& ip, int port, int family, Endpoint* out);

// Formats a received source address as ip (v4-mapped shown as IPv4) and port.
void FormatEndpoint(const sockaddr_storage& addr, std::string* ip, int* port);

// True if both hold the same address and port (family-aware, ignores padding).
bool SameEndpoint(const sockaddr_storage& a, const sockaddr_storage& b);

}  // namespace vpcmesh
