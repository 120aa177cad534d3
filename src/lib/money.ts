const inr = new Intl.NumberFormat("en-IN", { style: "currency", currency: "INR", minimumFractionDigits: 2 });

/** Paise → "₹1,23,456.00" (Indian digit grouping). */
export function formatInr(paise: number): string {
  return inr.format(paise / 100);
}
