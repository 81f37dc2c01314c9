#include "udp_socket.h"

#include <arpa/inet.h>
#include <netinet/udp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vpcmesh {

namespace {

// Asks for a large buffer; the *FORCE variant (root) ignores net.core.*mem_max.
void SetBuffer(int fd, int forceOpt, int opt, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, forceOpt, &bytes, sizeof bytes) == 0) return;
  setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof bytes);  // best effort, capped by sysctl
}

int BoundPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return -1;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

}  // namespace

SysError OpenUdp(const UdpConfig& cfg, UniqueFd* fd, int* family, int* boundPort) {
  in6_addr probe6;
  int fam = inet_pton(AF_INET6, cfg.host.c_str(), &probe6) == 1 ? AF_INET6 : AF_INET;
  Endpoint bindAddr;
  if (cfg.port < 0 || cfg.port > 65535 || !ParseEndpoint(cfg.host, cfg.port, fam, &bindAddr))
    return SysError::Fail(0,
                          "invalid UDP bind address " + cfg.host + ":" + std::to_string(cfg.port));
  UniqueFd owned(socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!owned.valid()) return SysError::Fail(errno, "socket(SOCK_DGRAM)");
  int f = owned.get();
  if (fam == AF_INET6) {
    int off = 0;  // dual stack: also accept and send IPv4 (as v4-mapped)
    setsockopt(f, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  SetBuffer(f, SO_RCVBUFFORCE, SO_RCVBUF, cfg.bufferBytes);
  SetBuffer(f, SO_SNDBUFFORCE, SO_SNDBUF, cfg.bufferBytes);
  if (cfg.gro) {
    int on = 1;  // without it (old kernels) every datagram arrives alone: still correct
    setsockopt(f, SOL_UDP, UDP_GRO, &on, sizeof on);
  }
  if (cfg.fwmark != 0 && setsockopt(f, SOL_SOCKET, SO_MARK, &cfg.fwmark, sizeof cfg.fwmark) != 0)
    return SysError::Fail(
        errno, "setsockopt(SO_MARK " + std::to_string(cfg.fwmark) + ") (needs CAP_NET_ADMIN)");
  int on = 1;
  if (cfg.reusePort && setsockopt(f, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
    return SysError::Fail(errno, "setsockopt(SO_REUSEPORT)");
  if (bind(f, reinterpret_cast<sockaddr*>(&bindAddr.addr), bindAddr.len) != 0)
    return SysError::Fail(errno, "bind " + cfg.host + ":" + std::to_string(cfg.port));
  *family = fam;
  *boundPort = BoundPort(f);
  *fd = std::move(owned);
  return SysError::Ok();
}

bool ParseEndpoint(const std::string& ip, int port, int family, Endpoint* out) {
  if (port < 0 || port > 65535) return false;
  *out = Endpoint{};
  in_addr a4;
  in6_addr a6;
  bool is4 = inet_pton(AF_INET, ip.c_str(), &a4) == 1;
  if (!is4 && inet_pton(AF_INET6, ip.c_str(), &a6) != 1) return false;
  if (family == AF_INET) {
    if (!is4) return false;
    auto* sin = reinterpret_cast<sockaddr_in*>(&out->addr);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(uint16_t(port));
    sin->sin_addr = a4;
    out->len = sizeof(sockaddr_in);
    return true;
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out->addr);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(uint16_t(port));
  if (is4) {  // ::ffff:a.b.c.d
    sin6->sin6_addr.s6_addr[10] = 0xff;
    sin6->sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&sin6->sin6_addr.s6_addr[12], &a4, 4);
  } else {
    sin6->sin6_addr = a6;
  }
  out->len = sizeof(sockaddr_in6);
  return true;
}

void FormatEndpoint(const sockaddr_storage& addr, std::string* ip, int* port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
    *port = ntohs(sin->sin_port);
  } else {
    auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
      inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], text, sizeof text);
    } else {
      inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
    }
    *port = ntohs(sin6->sin6_port);
  }
  *ip = text;
}

bool SameEndpoint(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    auto* x = reinterpret_cast<const sockaddr_in*>(&a);
    auto* y = reinterpret_cast<const sockaddr_in*>(&b);
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  auto* x = reinterpret_cast<const sockaddr_in6*>(&a);
  auto* y = reinterpret_cast<const sockaddr_in6*>(&b);
  return x->sin6_port == y->sin6_port && std::memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

}  // namespace vpcmesh
