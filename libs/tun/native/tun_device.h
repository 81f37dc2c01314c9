// Opening and configuring a Linux TUN device with ioctls only (no shelling out).
#pragma once

#include <string>

#include "sys_error.h"
#include "unique_fd.h"

namespace vpcmesh {

struct TunConfig {
  std::string name;         // requested interface name (may contain %d)
  int mtu = 1420;           // bytes, the largest inner IP packet
  int txQueueLen = 1000;    // packets; the kernel default 500 drops under one TCP stream
  bool offload = false;     // IFF_VNET_HDR + TUNSETOFFLOAD (checksum, TSO4/6, ECN)
  bool multiQueue = false;  // IFF_MULTI_QUEUE: more queues can be attached (OpenTunQueue)
};

// Opens /dev/net/tun as IFF_TUN|IFF_NO_PI, non-blocking and close-on-exec, sets MTU and
// txqueuelen and brings the link up. On success *fd owns the open fd and *actualName is the
// kernel's name for it; on failure nothing stays open. Addresses and routes are the caller's
// business. With `offload` every read and write carries a 10-byte virtio_net_hdr and the kernel may
// hand over partially checksummed packets and TCP super-packets (TSO); if it refuses TSO the device
// still has the header (and at least checksum offload, or none).
SysError OpenTun(const TunConfig& cfg, UniqueFd* fd, std::string* actualName);

// Attaches one more queue to the multi-queue device `name` opened by OpenTun (same flags).
// The kernel spreads packets over the queues by flow hash: one flow stays on one queue.
SysError OpenTunQueue(const TunConfig& cfg, const std::string& name, UniqueFd* fd);

}  // namespace vpcmesh
