/** A payee row as the API shows it (domain/api/payees.ts), with the transaction of the write that answered it. */
export interface PayeeRow {
  address: string;
  name: string;
  creditCode: string;
  category: string;
  licenceHash: string;
  active: boolean;
  chainStatus: string;
}

export const presentPayee = (row: PayeeRow, txHash: string | null = null) => ({ ...row, txHash });
