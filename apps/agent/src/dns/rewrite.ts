import type { Answer, DecodedPacket, Question } from 'dns-packet'
import { translateAddress } from './address-map.js'
import type { DnsZone } from './config.js'
import { replaceSuffix } from './zone-match.js'

/** The question as forwarded: the zone suffix replaced by `rewriteTo` when the zone has one. */
export function forwardQuestion(q: Question, zone: DnsZone | undefined): Question {
  if (zone?.rewriteTo === undefined) return q
  return { ...q, name: replaceSuffix(q.name, zone.zone, zone.rewriteTo) ?? q.name }
}

/** True when answers from `zone`'s servers need {@link rewriteAnswer}. */
export function needsRewrite(zone: DnsZone | undefined): boolean {
  return zone !== undefined && (zone.rewriteTo !== undefined || zone.rewriteAnswers.length > 0)
}

/**
 * Turns an answer of the zone's servers into the answer the client expects, in place: the
 * client's own question is echoed; every record name and name-valued data (CNAME, DNAME, NS,
 * PTR targets, MX exchange, SRV target, SOA mname/rname) under `rewriteTo` is renamed back
 * under `zone`; A/AAAA data inside a `rewriteAnswers.from` prefix is translated into `to`.
 */
export function rewriteAnswer(packet: DecodedPacket, question: Question, zone: DnsZone): void {
  packet.questions = [question]
  for (const list of [packet.answers, packet.authorities, packet.additionals]) {
    for (const rr of list ?? []) rewriteRecord(rr, zone)
  }
}

function back(name: string, zone: DnsZone): string {
  if (zone.rewriteTo === undefined) return name
  return replaceSuffix(name, zone.rewriteTo, zone.zone) ?? name
}

function rewriteRecord(rr: Answer, zone: DnsZone): void {
  if (rr.type === 'OPT') return
  rr.name = back(rr.name, zone)
  switch (rr.type) {
    case 'A':
    case 'AAAA':
      rr.data = translateAddress(rr.data, zone.rewriteAnswers) ?? rr.data
      return
    case 'CNAME':
    case 'DNAME':
    case 'NS':
    case 'PTR':
      rr.data = back(rr.data, zone)
      return
    case 'MX':
      rr.data.exchange = back(rr.data.exchange, zone)
      return
    case 'SRV':
      rr.data.target = back(rr.data.target, zone)
      return
    case 'SOA':
      rr.data.mname = back(rr.data.mname, zone)
      rr.data.rname = back(rr.data.rname, zone)
      return
    default:
      return
  }
}
