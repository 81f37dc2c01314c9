#include "tun_device.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vpcmesh {

std::string SysError::Message() const { return err == 0 ? what : what + ": " + std::strerror(err); }

namespace {

void FillName(struct ifreq* ifr, const std::string& name) {
  std::memset(ifr, 0, sizeof *ifr);
  std::strncpy(ifr->ifr_name, name.c_str(), IFNAMSIZ - 1);
}

// Applies MTU, txqueuelen and IFF_UP through an AF_INET control socket.
SysError ConfigureLink(const std::string& name, const TunConfig& cfg) {
  UniqueFd ctlFd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!ctlFd.valid()) return SysError::Fail(errno, "socket(AF_INET) for ioctls");
  int ctl = ctlFd.get();
  struct ifreq ifr;
  SysError result = SysError::Ok();
  FillName(&ifr, name);
  ifr.ifr_mtu = cfg.mtu;
  if (ioctl(ctl, SIOCSIFMTU, &ifr) < 0) result = SysError::Fail(errno, "ioctl(SIOCSIFMTU) " + name);
  FillName(&ifr, name);
  ifr.ifr_qlen = cfg.txQueueLen;
  if (!result.failed && ioctl(ctl, SIOCSIFTXQLEN, &ifr) < 0)
    result = SysError::Fail(errno, "ioctl(SIOCSIFTXQLEN) " + name);
  FillName(&ifr, name);
  if (!result.failed && ioctl(ctl, SIOCGIFFLAGS, &ifr) < 0)
    result = SysError::Fail(errno, "ioctl(SIOCGIFFLAGS) " + name);
  ifr.ifr_flags |= IFF_UP;
  if (!result.failed && ioctl(ctl, SIOCSIFFLAGS, &ifr) < 0)
    result = SysError::Fail(errno, "ioctl(SIOCSIFFLAGS) " + name);
  return result;
}

// Asks for checksum + TSO (+ ECN) offload, falling back to less; the virtio header stays
// on either way, so nothing depends on which set the kernel took.
void EnableOffload(int fd) {
  const unsigned sets[] = {TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
                           TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, TUN_F_CSUM};
  for (unsigned flags : sets)
    if (ioctl(fd, TUNSETOFFLOAD, flags) == 0) return;
}

}  // namespace

SysError OpenTun(const TunConfig& cfg, UniqueFd* fd, std::string* actualName) {
  if (cfg.name.empty() || cfg.name.size() >= IFNAMSIZ)
    return SysError::Fail(0, "invalid TUN name '" + cfg.name + "' (1-15 characters)");
  UniqueFd owned(open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!owned.valid()) return SysError::Fail(errno, "open(/dev/net/tun)");
  int f = owned.get();
  struct ifreq ifr;
  FillName(&ifr, cfg.name);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (cfg.offload ? IFF_VNET_HDR : 0) |
                  (cfg.multiQueue ? IFF_MULTI_QUEUE : 0);
  if (ioctl(f, TUNSETIFF, &ifr) < 0) return SysError::Fail(errno, "ioctl(TUNSETIFF) " + cfg.name);
  std::string name(ifr.ifr_name);
  if (cfg.offload) EnableOffload(f);
  SysError e = ConfigureLink(name, cfg);
  if (e.failed) return e;
  *fd = std::move(owned);
  *actualName = name;
  return SysError::Ok();
}

SysError OpenTunQueue(const TunConfig& cfg, const std::string& name, UniqueFd* fd) {
  UniqueFd owned(open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!owned.valid()) return SysError::Fail(errno, "open(/dev/net/tun)");
  struct ifreq ifr;
  FillName(&ifr, name);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE | (cfg.offload ? IFF_VNET_HDR : 0);
  if (ioctl(owned.get(), TUNSETIFF, &ifr) < 0)
    return SysError::Fail(errno, "ioctl(TUNSETIFF) queue of " + name);
  if (cfg.offload) EnableOffload(owned.get());
  *fd = std::move(owned);
  return SysError::Ok();
}

}  // namespace vpcmesh
