// SPDX-License-Identifier: GPL-2.0
/*
 * hil_offload: a simulated flow-offload engine for offload-hil's default image.
 *
 * Ports are upper devices over the DUT's NICs (`ip link add link eth0 name lan0 type
 * hilsoc`), the way a SoC's packet engine sits beside its Ethernet MACs. The router's
 * stack, the flowtable and the qdiscs see only the ports. A flowtable with `flags offload`
 * on the ports binds to the engine through ndo_setup_tc(TC_SETUP_FT) and pushes one rule
 * per flow direction (FLOW_CLS_REPLACE/DESTROY/STATS). A frame arriving on a lower NIC
 * that matches a rule is rewritten (MACs, NAT addresses and ports, TTL, checksums) and
 * sent straight out of the egress port's lower NIC: it never enters the IP stack,
 * nftables, or the port's qdisc. Everything else goes up through the port as usual.
 *
 * The table is bounded (module parameter `entries`): when it is full REPLACE fails and
 * the flow stays in software ([OFFLOAD], not [HW_OFFLOAD]), as on real hardware.
 * 802.1Q is handled as a switch's engine does: a rule may match a VLAN id on ingress, pop
 * it, and push one on egress. Rules with what the engine lacks (QinQ, PPPoE, tunnels) are
 * refused the same way as a full table.
 */
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/ethtool.h>
#include <linux/if_arp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/jhash.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rculist.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/version.h>
#include <net/checksum.h>
#include <net/flow_offload.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/pkt_cls.h>
#include <net/rtnetlink.h>

static unsigned int entries = 256;
module_param(entries, uint, 0444);
MODULE_PARM_DESC(entries, "flow table size (rules; one per flow direction)");

#define HIL_KIND "hilsoc"
#define HIL_HASH_BITS 10
#define HIL_MAX_MANGLES 16

struct hil_key {
	int iif;		/* the ingress port's ifindex */
	u16 vid;		/* 802.1Q id on ingress, 0 for untagged */
	__be16 l3;		/* ETH_P_IP / ETH_P_IPV6 */
	u8 l4;			/* IPPROTO_TCP / IPPROTO_UDP */
	__be16 sport, dport;
	union { __be32 v4; struct in6_addr v6; } src, dst;
};

struct hil_mangle {
	u8 htype;		/* FLOW_ACT_MANGLE_HDR_TYPE_* */
	u32 offset;
	__be32 mask, val;	/* word = (word & mask) | val, as tc pedit */
};

struct hil_port;

struct hil_rule {
	struct hlist_node node;		/* by key, walked under RCU in the data path */
	struct hlist_node cnode;	/* by cookie, under hil_lock */
	struct rcu_head rcu;
	unsigned long cookie;
	struct hil_key key;
	struct hil_port *in, *out;
	int n_mangles;
	struct hil_mangle mangles[HIL_MAX_MANGLES];
	bool vlan_pop;
	__be16 push_proto;		/* 0: no push */
	u16 push_vid;
	atomic64_t pkts, bytes;		/* since the last STATS */
	unsigned long lastused;		/* jiffies */
};

struct hil_port {
	struct net_device *dev;		/* the port (upper) */
	struct net_device *lower;
	atomic64_t hits;
};

static DEFINE_SPINLOCK(hil_lock);
static DEFINE_HASHTABLE(hil_rules, HIL_HASH_BITS);
static DEFINE_HASHTABLE(hil_cookies, HIL_HASH_BITS);
static unsigned int hil_in_use;
static LIST_HEAD(hil_block_cb_list);
static const struct net_device_ops hil_netdev_ops;

/* Engine counters (ethtool -S on any port). */
static atomic64_t st_hits, st_misses, st_table_full, st_refused, st_replace, st_destroy;

static u32 hil_hash(const struct hil_key *k)
{
	return jhash(k, sizeof(*k), 0);
}

static struct hil_rule *hil_lookup(const struct hil_key *k)
{
	struct hil_rule *r;

	hash_for_each_possible_rcu(hil_rules, r, node, hil_hash(k))
		if (!memcmp(&r->key, k, sizeof(*k)))
			return r;
	return NULL;
}

static struct hil_rule *hil_by_cookie(unsigned long cookie)
{
	struct hil_rule *r;

	hash_for_each_possible(hil_cookies, r, cnode, cookie)
		if (r->cookie == cookie)
			return r;
	return NULL;
}

static void hil_rule_unlink(struct hil_rule *r)
{
	hash_del_rcu(&r->node);
	hash_del(&r->cnode);
	hil_in_use--;
	kfree_rcu(r, rcu);
}

/* Rules that use a port are dropped with it (device deleted, module unloaded). */
static void hil_flush_port(struct hil_port *p)
{
	struct hil_rule *r;
	struct hlist_node *tmp;
	int bkt;

	spin_lock_bh(&hil_lock);
	hash_for_each_safe(hil_cookies, bkt, tmp, r, cnode)
		if (r->in == p || r->out == p)
			hil_rule_unlink(r);
	spin_unlock_bh(&hil_lock);
}

/* ---- rules from the flowtable ---- */

/*
 * A VLAN (or QinQ inner VLAN) match. 6.1's flowtable fills the key and mask but leaves
 * the key out of used_keys, so the mask, not used_keys, says whether the rule has one.
 */
static bool hil_vlan_key(struct flow_rule *rule, enum flow_dissector_key_id id, struct flow_match_vlan *v)
{
	if (!flow_rule_match_key(rule, id) && !rule->match.dissector->offset[id])
		return false;
	if (id == FLOW_DISSECTOR_KEY_VLAN)
		flow_rule_match_vlan(rule, v);
	else
		flow_rule_match_cvlan(rule, v);
	return v->mask->vlan_id != 0;
}

static int hil_parse(struct hil_port *port, struct flow_cls_offload *f, struct hil_rule *r)
{
	struct flow_rule *rule = flow_cls_offload_flow_rule(f);
	struct flow_dissector *d = rule->match.dissector;
	const struct flow_action_entry *act;
	struct flow_match_basic basic;
	struct flow_match_meta meta;
	struct flow_match_ports ports;
	struct flow_match_vlan v;
	int i;

	if (d->used_keys & (BIT(FLOW_DISSECTOR_KEY_ENC_CONTROL) | BIT(FLOW_DISSECTOR_KEY_ENC_KEYID)) ||
	    hil_vlan_key(rule, FLOW_DISSECTOR_KEY_CVLAN, &v))
		return -EOPNOTSUPP;
	if (!flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_META) ||
	    !flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_BASIC) ||
	    !flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_PORTS))
		return -EOPNOTSUPP;

	flow_rule_match_meta(rule, &meta);
	/* Every bound port's callback sees every rule: each takes only its own ingress. */
	if (meta.key->ingress_ifindex != port->dev->ifindex)
		return -EOPNOTSUPP;
	r->key.iif = meta.key->ingress_ifindex;
	if (hil_vlan_key(rule, FLOW_DISSECTOR_KEY_VLAN, &v)) {
		if (v.key->vlan_tpid != htons(ETH_P_8021Q) || !v.key->vlan_id)
			return -EOPNOTSUPP;
		r->key.vid = v.key->vlan_id;
	}

	flow_rule_match_basic(rule, &basic);
	r->key.l3 = basic.key->n_proto;
	r->key.l4 = basic.key->ip_proto;
	if (r->key.l4 != IPPROTO_TCP && r->key.l4 != IPPROTO_UDP)
		return -EOPNOTSUPP;

	if (r->key.l3 == htons(ETH_P_IP) && flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_IPV4_ADDRS)) {
		struct flow_match_ipv4_addrs a;

		flow_rule_match_ipv4_addrs(rule, &a);
		r->key.src.v4 = a.key->src;
		r->key.dst.v4 = a.key->dst;
	} else if (r->key.l3 == htons(ETH_P_IPV6) && flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_IPV6_ADDRS)) {
		struct flow_match_ipv6_addrs a;

		flow_rule_match_ipv6_addrs(rule, &a);
		r->key.src.v6 = a.key->src;
		r->key.dst.v6 = a.key->dst;
	} else {
		return -EOPNOTSUPP;
	}
	flow_rule_match_ports(rule, &ports);
	r->key.sport = ports.key->src;
	r->key.dport = ports.key->dst;

	flow_action_for_each(i, act, &rule->action) {
		switch (act->id) {
		case FLOW_ACTION_MANGLE:
			if (r->n_mangles == HIL_MAX_MANGLES)
				return -E2BIG;
			r->mangles[r->n_mangles++] = (struct hil_mangle){
				.htype = act->mangle.htype, .offset = act->mangle.offset,
				.mask = (__force __be32)act->mangle.mask, .val = (__force __be32)act->mangle.val,
			};
			break;
		case FLOW_ACTION_CSUM:
			/* Checksums are always kept right, incrementally, as each field changes. */
			break;
		case FLOW_ACTION_REDIRECT:
			if (!act->dev || act->dev->netdev_ops != &hil_netdev_ops)
				return -EOPNOTSUPP;
			r->out = netdev_priv(act->dev);
			break;
		case FLOW_ACTION_VLAN_POP:
			/* Only the tag the rule matched; a second (QinQ) is not in this engine. */
			if (!r->key.vid || r->vlan_pop)
				return -EOPNOTSUPP;
			r->vlan_pop = true;
			break;
		case FLOW_ACTION_VLAN_PUSH:
			if (r->push_proto || act->vlan.proto != htons(ETH_P_8021Q) || !act->vlan.vid)
				return -EOPNOTSUPP;
			r->push_proto = act->vlan.proto;
			r->push_vid = act->vlan.vid;
			break;
		default:	/* PPPoE, tunnels: not in this engine */
			return -EOPNOTSUPP;
		}
	}
	/* A tagged match must say what becomes of the tag. */
	if (!r->out || (r->key.vid && !r->vlan_pop))
		return -EOPNOTSUPP;
	r->in = port;
	return 0;
}

static int hil_replace(struct hil_port *port, struct flow_cls_offload *f)
{
	struct hil_rule *r, *old;
	int err;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->cookie = f->cookie;
	r->lastused = jiffies;
	err = hil_parse(port, f, r);
	if (err) {
		if (err != -EOPNOTSUPP || r->key.iif)
			atomic64_inc(&st_refused);
		kfree(r);
		return err;
	}
	spin_lock_bh(&hil_lock);
	old = hil_by_cookie(r->cookie);
	if (old)
		hil_rule_unlink(old);
	if (hil_in_use >= entries) {
		spin_unlock_bh(&hil_lock);
		atomic64_inc(&st_table_full);
		kfree(r);
		return -ENOSPC;
	}
	hash_add_rcu(hil_rules, &r->node, hil_hash(&r->key));
	hash_add(hil_cookies, &r->cnode, r->cookie);
	hil_in_use++;
	spin_unlock_bh(&hil_lock);
	atomic64_inc(&st_replace);
	return 0;
}

static int hil_destroy(struct hil_port *port, struct flow_cls_offload *f)
{
	struct hil_rule *r;

	spin_lock_bh(&hil_lock);
	r = hil_by_cookie(f->cookie);
	if (!r || r->in != port) {
		spin_unlock_bh(&hil_lock);
		return -ENOENT;
	}
	hil_rule_unlink(r);
	spin_unlock_bh(&hil_lock);
	atomic64_inc(&st_destroy);
	return 0;
}

/* Deltas since the last query (nf_flow_table adds them to conntrack's counters). */
static int hil_stats(struct hil_port *port, struct flow_cls_offload *f)
{
	struct hil_rule *r;
	u64 pkts, bytes;

	spin_lock_bh(&hil_lock);
	r = hil_by_cookie(f->cookie);
	if (!r || r->in != port) {
		spin_unlock_bh(&hil_lock);
		return -ENOENT;
	}
	pkts = atomic64_xchg(&r->pkts, 0);
	bytes = atomic64_xchg(&r->bytes, 0);
	flow_stats_update(&f->stats, bytes, pkts, 0, READ_ONCE(r->lastused), FLOW_ACTION_HW_STATS_DELAYED);
	spin_unlock_bh(&hil_lock);
	return 0;
}

static int hil_ft_cb(enum tc_setup_type type, void *type_data, void *cb_priv)
{
	struct hil_port *port = cb_priv;
	struct flow_cls_offload *f = type_data;

	if (type != TC_SETUP_CLSFLOWER)
		return -EOPNOTSUPP;
	switch (f->command) {
	case FLOW_CLS_REPLACE:
		return hil_replace(port, f);
	case FLOW_CLS_DESTROY:
		return hil_destroy(port, f);
	case FLOW_CLS_STATS:
		return hil_stats(port, f);
	default:
		return -EOPNOTSUPP;
	}
}

static int hil_setup_tc(struct net_device *dev, enum tc_setup_type type, void *type_data)
{
	struct hil_port *port = netdev_priv(dev);

	if (type != TC_SETUP_FT)
		return -EOPNOTSUPP;
	/* `ethtool -K PORT hw-tc-offload off`: the engine is not offered to the flowtable. */
	if (!(dev->features & NETIF_F_HW_TC))
		return -EOPNOTSUPP;
	return flow_block_cb_setup_simple(type_data, &hil_block_cb_list, hil_ft_cb, port, port, true);
}

/* ---- the data path ---- */

static bool hil_mangle_l3l4(struct sk_buff *skb, const struct hil_rule *r, unsigned int thoff)
{
	int i;

	for (i = 0; i < r->n_mangles; i++) {
		const struct hil_mangle *m = &r->mangles[i];
		unsigned int at;
		__be32 *w, old, new;
		__sum16 *check = NULL;
		bool pseudo = false;

		switch (m->htype) {
		case FLOW_ACT_MANGLE_HDR_TYPE_IP4:
		case FLOW_ACT_MANGLE_HDR_TYPE_IP6:
			at = m->offset;
			pseudo = true;	/* addresses are part of the L4 pseudo-header */
			break;
		case FLOW_ACT_MANGLE_HDR_TYPE_TCP:
		case FLOW_ACT_MANGLE_HDR_TYPE_UDP:
			at = thoff + m->offset;
			break;
		default:
			continue;	/* Ethernet: after the push */
		}
		if (at + 4 > skb_headlen(skb))
			return false;
		w = (__be32 *)(skb->data + at);
		old = get_unaligned(w);
		new = (old & m->mask) | m->val;
		if (old == new)
			continue;
		put_unaligned(new, w);
		if (m->htype == FLOW_ACT_MANGLE_HDR_TYPE_IP4)
			csum_replace4(&ip_hdr(skb)->check, old, new);
		if (r->key.l4 == IPPROTO_TCP) {
			check = &((struct tcphdr *)(skb->data + thoff))->check;
		} else {
			struct udphdr *uh = (struct udphdr *)(skb->data + thoff);

			if (uh->check || skb->ip_summed == CHECKSUM_PARTIAL)
				check = &uh->check;
		}
		if (check) {
			inet_proto_csum_replace4(check, skb, old, new, pseudo);
			if (r->key.l4 == IPPROTO_UDP && !*check)
				*check = CSUM_MANGLED_0;
		}
	}
	return true;
}

static void hil_mangle_eth(struct sk_buff *skb, const struct hil_rule *r)
{
	int i;

	for (i = 0; i < r->n_mangles; i++) {
		const struct hil_mangle *m = &r->mangles[i];
		__be32 *w;

		if (m->htype != FLOW_ACT_MANGLE_HDR_TYPE_ETH || m->offset + 4 > ETH_HLEN + 2)
			continue;
		w = (__be32 *)(skb->data + m->offset);
		put_unaligned((get_unaligned(w) & m->mask) | m->val, w);
	}
}

/* The engine: true when the frame was forwarded in "hardware". */
static bool hil_engine(struct sk_buff *skb, struct hil_port *in)
{
	/* The core has already moved an 802.1Q tag out of the frame (skb_vlan_untag). */
	struct hil_key k = { .iif = in->dev->ifindex, .l3 = skb->protocol,
			     .vid = skb_vlan_tag_present(skb) ? skb_vlan_tag_get_id(skb) : 0 };
	unsigned int thoff, len;
	struct hil_rule *r;
	__be16 *ports;

	if (skb->protocol == htons(ETH_P_IP)) {
		struct iphdr *iph;

		if (!pskb_may_pull(skb, sizeof(*iph)))
			return false;
		iph = ip_hdr(skb);
		thoff = iph->ihl * 4;
		if (iph->ihl < 5 || ip_is_fragment(iph) || iph->ttl <= 1 || !pskb_may_pull(skb, thoff + 8))
			return false;
		iph = ip_hdr(skb);
		k.l4 = iph->protocol;
		k.src.v4 = iph->saddr;
		k.dst.v4 = iph->daddr;
	} else if (skb->protocol == htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h;

		thoff = sizeof(*ip6h);
		if (!pskb_may_pull(skb, thoff + 8))
			return false;
		ip6h = ipv6_hdr(skb);
		if (ip6h->hop_limit <= 1)
			return false;
		k.l4 = ip6h->nexthdr;
		k.src.v6 = ip6h->saddr;
		k.dst.v6 = ip6h->daddr;
	} else {
		return false;
	}
	if (k.l4 != IPPROTO_TCP && k.l4 != IPPROTO_UDP)
		return false;
	if (k.l4 == IPPROTO_TCP) {
		struct tcphdr *th;

		if (!pskb_may_pull(skb, thoff + sizeof(*th)))
			return false;
		th = (struct tcphdr *)(skb->data + thoff);
		/* As the flowtable's rule says: FIN and RST go to the software path. */
		if (th->fin || th->rst)
			return false;
	}
	ports = (__be16 *)(skb->data + thoff);
	k.sport = ports[0];
	k.dport = ports[1];

	r = hil_lookup(&k);
	if (!r) {
		atomic64_inc(&st_misses);
		return false;
	}
	if (skb_ensure_writable(skb, thoff + (k.l4 == IPPROTO_TCP ? sizeof(struct tcphdr) : sizeof(struct udphdr))))
		return false;
	if (!hil_mangle_l3l4(skb, r, thoff))
		return false;
	if (skb->protocol == htons(ETH_P_IP))
		ip_decrease_ttl(ip_hdr(skb));
	else
		ipv6_hdr(skb)->hop_limit--;
	/* The received checksum no longer matches what was rewritten. */
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;

	len = skb->len;
	skb_push(skb, ETH_HLEN);
	skb_reset_mac_header(skb);
	if (skb_ensure_writable(skb, ETH_HLEN)) {
		kfree_skb(skb);
		return true;
	}
	hil_mangle_eth(skb, r);
	if (r->vlan_pop)
		__vlan_hwaccel_clear_tag(skb);
	if (r->push_proto)
		/* Inserted in software by the core when the lower NIC cannot (validate_xmit_vlan). */
		__vlan_hwaccel_put_tag(skb, r->push_proto, r->push_vid);
	atomic64_inc(&r->pkts);
	atomic64_add(len, &r->bytes);
	WRITE_ONCE(r->lastused, jiffies);
	atomic64_inc(&in->hits);
	atomic64_inc(&st_hits);
	skb->dev = r->out->lower;
	dev_queue_xmit(skb);
	return true;
}

static rx_handler_result_t hil_handle_frame(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct hil_port *port = rcu_dereference(skb->dev->rx_handler_data);

	if (skb->pkt_type == PACKET_LOOPBACK)
		return RX_HANDLER_PASS;
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb)
		return RX_HANDLER_CONSUMED;
	/*
	 * A frame for the port's address is the port's own even when the core marked it
	 * OTHERHOST on the lower NIC: a tagged frame for a VLAN on the port (the core's VLAN
	 * lookup on the NIC), or the port given an address of its own.
	 */
	if (skb->pkt_type == PACKET_OTHERHOST &&
	    ether_addr_equal(eth_hdr(skb)->h_dest, port->dev->dev_addr))
		skb->pkt_type = PACKET_HOST;
	if (skb->pkt_type == PACKET_HOST && hil_engine(skb, port))
		return RX_HANDLER_CONSUMED;
	skb->dev = port->dev;
	dev_sw_netstats_rx_add(port->dev, skb->len + ETH_HLEN);
	*pskb = skb;
	return RX_HANDLER_ANOTHER;
}

/* ---- the port device ---- */

static netdev_tx_t hil_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct hil_port *port = netdev_priv(dev);
	unsigned int len = skb->len;

	skb->dev = port->lower;
	if (dev_queue_xmit(skb) == NET_XMIT_SUCCESS)
		dev_sw_netstats_tx_add(dev, 1, len);
	else
		dev->stats.tx_dropped++;
	return NETDEV_TX_OK;
}

/*
 * The port's multicast groups (IPv6 neighbour discovery's solicited-node groups for its own
 * addresses) and any extra unicast address must pass the lower NIC's filter, or virtio-net
 * drops them before the rx handler sees them; as VLAN and macvlan devices do, the port
 * mirrors its address lists and its allmulti/promisc counts onto the lower NIC.
 */
static int hil_open(struct net_device *dev)
{
	struct hil_port *port = netdev_priv(dev);
	struct net_device *lower = port->lower;
	int err;

	if (!ether_addr_equal(dev->dev_addr, lower->dev_addr)) {
		err = dev_uc_add(lower, dev->dev_addr);
		if (err)
			return err;
	}
	if (dev->flags & IFF_ALLMULTI) {
		err = dev_set_allmulti(lower, 1);
		if (err)
			goto del_uc;
	}
	if (dev->flags & IFF_PROMISC) {
		err = dev_set_promiscuity(lower, 1);
		if (err)
			goto clear_allmulti;
	}
	netif_carrier_on(dev);
	return 0;

clear_allmulti:
	if (dev->flags & IFF_ALLMULTI)
		dev_set_allmulti(lower, -1);
del_uc:
	if (!ether_addr_equal(dev->dev_addr, lower->dev_addr))
		dev_uc_del(lower, dev->dev_addr);
	return err;
}

static int hil_stop(struct net_device *dev)
{
	struct hil_port *port = netdev_priv(dev);
	struct net_device *lower = port->lower;

	dev_uc_unsync(lower, dev);
	dev_mc_unsync(lower, dev);
	if (dev->flags & IFF_ALLMULTI)
		dev_set_allmulti(lower, -1);
	if (dev->flags & IFF_PROMISC)
		dev_set_promiscuity(lower, -1);
	if (!ether_addr_equal(dev->dev_addr, lower->dev_addr))
		dev_uc_del(lower, dev->dev_addr);
	netif_carrier_off(dev);
	return 0;
}

static void hil_set_rx_mode(struct net_device *dev)
{
	struct hil_port *port = netdev_priv(dev);

	dev_uc_sync(port->lower, dev);
	dev_mc_sync(port->lower, dev);
}

static void hil_change_rx_flags(struct net_device *dev, int change)
{
	struct hil_port *port = netdev_priv(dev);

	if (!(dev->flags & IFF_UP))
		return;
	if (change & IFF_ALLMULTI)
		dev_set_allmulti(port->lower, dev->flags & IFF_ALLMULTI ? 1 : -1);
	if (change & IFF_PROMISC)
		dev_set_promiscuity(port->lower, dev->flags & IFF_PROMISC ? 1 : -1);
}

/* A new address while up moves its filter entry on the lower NIC with it. */
static int hil_set_mac_address(struct net_device *dev, void *p)
{
	struct hil_port *port = netdev_priv(dev);
	struct sockaddr *addr = p;
	int err;

	if (!is_valid_ether_addr(addr->sa_data))
		return -EADDRNOTAVAIL;
	if (dev->flags & IFF_UP) {
		if (!ether_addr_equal(addr->sa_data, port->lower->dev_addr)) {
			err = dev_uc_add(port->lower, addr->sa_data);
			if (err)
				return err;
		}
		if (!ether_addr_equal(dev->dev_addr, port->lower->dev_addr))
			dev_uc_del(port->lower, dev->dev_addr);
	}
	eth_hw_addr_set(dev, addr->sa_data);
	return 0;
}

static int hil_init(struct net_device *dev)
{
	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	return dev->tstats ? 0 : -ENOMEM;
}

static void hil_uninit(struct net_device *dev)
{
	free_percpu(dev->tstats);
}

static const struct net_device_ops hil_netdev_ops = {
	.ndo_init = hil_init,
	.ndo_uninit = hil_uninit,
	.ndo_open = hil_open,
	.ndo_stop = hil_stop,
	.ndo_start_xmit = hil_start_xmit,
	.ndo_setup_tc = hil_setup_tc,
	.ndo_get_stats64 = dev_get_tstats64,
	.ndo_set_mac_address = hil_set_mac_address,
	.ndo_set_rx_mode = hil_set_rx_mode,
	.ndo_change_rx_flags = hil_change_rx_flags,
};

static const char hil_stat_names[][ETH_GSTRING_LEN] = {
	"engine_entries", "engine_capacity", "engine_hits", "engine_misses",
	"engine_table_full", "engine_refused", "engine_replace", "engine_destroy", "port_hits",
};

static int hil_get_sset_count(struct net_device *dev, int sset)
{
	return sset == ETH_SS_STATS ? ARRAY_SIZE(hil_stat_names) : -EOPNOTSUPP;
}

static void hil_get_strings(struct net_device *dev, u32 sset, u8 *buf)
{
	if (sset == ETH_SS_STATS)
		memcpy(buf, hil_stat_names, sizeof(hil_stat_names));
}

static void hil_get_ethtool_stats(struct net_device *dev, struct ethtool_stats *s, u64 *d)
{
	struct hil_port *port = netdev_priv(dev);

	d[0] = READ_ONCE(hil_in_use);
	d[1] = entries;
	d[2] = atomic64_read(&st_hits);
	d[3] = atomic64_read(&st_misses);
	d[4] = atomic64_read(&st_table_full);
	d[5] = atomic64_read(&st_refused);
	d[6] = atomic64_read(&st_replace);
	d[7] = atomic64_read(&st_destroy);
	d[8] = atomic64_read(&port->hits);
}

static void hil_get_drvinfo(struct net_device *dev, struct ethtool_drvinfo *info)
{
	strscpy(info->driver, "hil_offload", sizeof(info->driver));
}

static const struct ethtool_ops hil_ethtool_ops = {
	.get_drvinfo = hil_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_sset_count = hil_get_sset_count,
	.get_strings = hil_get_strings,
	.get_ethtool_stats = hil_get_ethtool_stats,
};

static void hil_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->netdev_ops = &hil_netdev_ops;
	dev->ethtool_ops = &hil_ethtool_ops;
	dev->needs_free_netdev = true;
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	/* Lockless xmit moved from a feature bit to a field in 6.11 (as veth and macvlan did). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	dev->lltx = true;
	dev->features |= NETIF_F_HW_TC;
#else
	dev->features |= NETIF_F_LLTX | NETIF_F_HW_TC;
#endif
	dev->hw_features |= NETIF_F_HW_TC;
}

static int hil_newlink(struct net *src_net, struct net_device *dev, struct nlattr *tb[],
		       struct nlattr *data[], struct netlink_ext_ack *extack)
{
	struct hil_port *port = netdev_priv(dev);
	struct net_device *lower;
	int err;

	if (!tb[IFLA_LINK]) {
		NL_SET_ERR_MSG(extack, "hilsoc needs a lower device: ip link add link DEV ...");
		return -EINVAL;
	}
	lower = __dev_get_by_index(src_net, nla_get_u32(tb[IFLA_LINK]));
	if (!lower)
		return -ENODEV;
	if (lower->type != ARPHRD_ETHER || lower->netdev_ops == &hil_netdev_ops) {
		NL_SET_ERR_MSG(extack, "hilsoc sits on an Ethernet NIC");
		return -EINVAL;
	}
	port->dev = dev;
	port->lower = lower;
	/* The port answers to its NIC's own address, so the NIC needs no promiscuous mode. */
	eth_hw_addr_set(dev, lower->dev_addr);
	dev->mtu = lower->mtu;
	dev->gso_max_size = lower->gso_max_size;
	dev->hw_features |= lower->hw_features & (NETIF_F_SG | NETIF_F_ALL_TSO | NETIF_F_HW_CSUM | NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM);
	dev->features |= dev->hw_features & ~NETIF_F_HW_TC;
	dev->features |= NETIF_F_HW_TC;

	err = register_netdevice(dev);
	if (err)
		return err;
	err = netdev_rx_handler_register(lower, hil_handle_frame, port);
	if (err) {
		NL_SET_ERR_MSG(extack, "the lower device already has an upper (bridge, macvlan, another port)");
		goto unregister;
	}
	err = netdev_upper_dev_link(lower, dev, extack);
	if (err)
		goto unhandle;
	netif_stacked_transfer_operstate(lower, dev);
	return 0;
unhandle:
	netdev_rx_handler_unregister(lower);
unregister:
	unregister_netdevice(dev);
	return err;
}

static void hil_dellink(struct net_device *dev, struct list_head *head)
{
	struct hil_port *port = netdev_priv(dev);

	netdev_rx_handler_unregister(port->lower);
	netdev_upper_dev_unlink(port->lower, dev);
	hil_flush_port(port);
	unregister_netdevice_queue(dev, head);
}

static struct rtnl_link_ops hil_link_ops __read_mostly = {
	.kind = HIL_KIND,
	.priv_size = sizeof(struct hil_port),
	.setup = hil_setup,
	.newlink = hil_newlink,
	.dellink = hil_dellink,
};

/* A NIC that goes away takes its port with it. */
static int hil_lower_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *lower = netdev_notifier_info_to_dev(ptr);
	struct hil_port *port;
	LIST_HEAD(kill);

	if (event != NETDEV_UNREGISTER || rtnl_dereference(lower->rx_handler) != hil_handle_frame)
		return NOTIFY_DONE;
	port = rtnl_dereference(lower->rx_handler_data);
	hil_dellink(port->dev, &kill);
	unregister_netdevice_many(&kill);
	return NOTIFY_DONE;
}

static struct notifier_block hil_notifier = { .notifier_call = hil_lower_event };

static int __init hil_module_init(void)
{
	int err;

	if (!entries)
		return -EINVAL;
	err = register_netdevice_notifier(&hil_notifier);
	if (err)
		return err;
	err = rtnl_link_register(&hil_link_ops);
	if (err)
		unregister_netdevice_notifier(&hil_notifier);
	return err;
}

static void __exit hil_module_exit(void)
{
	/* Deletes every port; their rules go with them. */
	rtnl_link_unregister(&hil_link_ops);
	unregister_netdevice_notifier(&hil_notifier);
	rcu_barrier();
}

module_init(hil_module_init);
module_exit(hil_module_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("offload-hil: a simulated flow-offload engine behind upper ports");
MODULE_ALIAS_RTNL_LINK(HIL_KIND);
