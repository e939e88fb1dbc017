/** Evaluation metrics with the seed's names (scikit-learn definitions). */

export function rmse(y: Float64Array, p: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i] - p[i]) ** 2;
  return Math.sqrt(s / y.length);
}

export function mae(y: Float64Array, p: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += Math.abs(y[i] - p[i]);
  return s / y.length;
}

/** Coefficient of determination; 0 when the truth is constant and predicted perfectly is undefined (as sklearn: 1 or 0). */
export function r2(y: Float64Array, p: Float64Array): number {
  let mean = 0;
  for (const v of y) mean += v;
  mean /= y.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < y.length; i++) {
    ssRes += (y[i] - p[i]) ** 2;
    ssTot += (y[i] - mean) ** 2;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

export function confusionMatrix(y: Float64Array, p: Float64Array, nClasses: number): number[][] {
  const m = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < y.length; i++) m[y[i]][p[i]]++;
  return m;
}

/** Accuracy and macro-averaged precision, recall and F1 (a class with no predictions has precision 0, as sklearn's zero_division=0). */
export function classificationMetrics(y: Float64Array, p: Float64Array, nClasses: number) {
  const cm = confusionMatrix(y, p, nClasses);
  let correct = 0;
  for (let c = 0; c < nClasses; c++) correct += cm[c][c];
  const present = new Set<number>([...y, ...p]);
  let precision = 0;
  let recall = 0;
  let f1 = 0;
  let k = 0;
  for (let c = 0; c < nClasses; c++) {
    if (!present.has(c)) continue; // sklearn averages over labels present in y_true or y_pred
    const tp = cm[c][c];
    let predicted = 0;
    let actual = 0;
    for (let j = 0; j < nClasses; j++) {
      predicted += cm[j][c];
      actual += cm[c][j];
    }
    const pr = predicted ? tp / predicted : 0;
    const rc = actual ? tp / actual : 0;
    precision += pr;
    recall += rc;
    f1 += pr + rc ? (2 * pr * rc) / (pr + rc) : 0;
    k++;
  }
  return { accuracy: correct / y.length, precision: precision / k, recall: recall / k, f1: f1 / k, confusion: cm };
}
