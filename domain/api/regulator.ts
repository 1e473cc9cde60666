import { z } from "zod";
import { pageOf } from "./page";
import { JsonObject } from "./json";
import { APPROVAL_KINDS, EVIDENCE_KINDS, FACILITY_STATUS, GIVEN_VERDICTS, SPOT_CHECK_RESULTS } from "../enums";
import { HashText, IdText, IsoTime, TxHash } from "./values";

/** The regulator node's own views: its spot checks, its decisions on joint decisions, its verification queue. */

export const SpotCheckView = z
  .object({
    id: z.uuid(),
    facilityId: IdText,
    result: z.enum(SPOT_CHECK_RESULTS),
    reportNumber: z.string(),
    findings: z.string(),
    reportHash: HashText,
    inspector: z.string(),
    freezeTx: TxHash.meta({ description: "the freeze's transaction (a FAIL on an active facility)" }),
    createdAt: IsoTime,
  })
  .meta({ id: "SpotCheck" });
export type SpotCheckView = z.infer<typeof SpotCheckView>;

export const SpotCheckList = pageOf(SpotCheckView);
export type SpotCheckList = z.infer<typeof SpotCheckList>;

/** POST /spot-checks: the spot check and the facility's status on chain after it. */
export const RecordedSpotCheck = SpotCheckView.extend({
  facilityStatus: z.enum(FACILITY_STATUS),
  frozen: z.boolean(),
}).meta({ id: "RecordedSpotCheck" });
export type RecordedSpotCheck = z.infer<typeof RecordedSpotCheck>;

/** What the regulator decided on a joint decision: co-signed, or refused with the reason. */
export const RegulatorDecision = z
  .object({
    approvalId: z.string(),
    kind: z.enum(APPROVAL_KINDS),
    facilityId: IdText,
    status: z.enum(["SIGNED", "REFUSED"]),
    reason: z.string(),
    message: JsonObject.meta({ description: "the typed-data message it was asked to sign" }),
    decidedAt: IsoTime,
  })
  .meta({ id: "RegulatorDecision" });
export const RegulatorDecisionList = pageOf(RegulatorDecision);
export type RegulatorDecisionList = z.infer<typeof RegulatorDecisionList>;

/** A document in the regulator's verification queue, with both verifiers' verdicts. */
export const QueueItem = z
  .object({
    evidenceId: HashText,
    facilityId: IdText,
    kind: z.enum(EVIDENCE_KINDS),
    metadata: JsonObject.meta({ description: "the document's metadata, by kind" }),
    regulatorVerdict: z.enum(GIVEN_VERDICTS),
    regulatorReason: z.string(),
    bankVerdict: z.enum(["PENDING", ...GIVEN_VERDICTS]),
    verifiedOnChain: z.boolean(),
    checkedAt: IsoTime,
  })
  .meta({ id: "VerificationQueueItem" });
export const Queue = pageOf(QueueItem);
export type Queue = z.infer<typeof Queue>;
