import { z } from "zod";

/** A joint decision named in a path (`/approvals/:approvalId…`, on both nodes). */
export const ApprovalParams = z.object({ approvalId: z.uuid() });
