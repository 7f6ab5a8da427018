/**
 * ent's arithmetic on the sums the WASM core collects, in ent's own order of floating-point
 * operations so the printed digits match Fourmilab ent (randtest.c rt_end, chisq.c pochisq).
 */

/** ent's statistics for one mode (bytes or bits). */
export interface EntStats {
  /** Samples: bytes, or bits in bit mode. */
  samples: number;
  /** Entropy in bits per sample. */
  entropy: number;
  /** Optimum compression in percent, truncated as ent prints it. */
  compressionPercent: number;
  chiSquare: number;
  /** Probability that a random source exceeds this χ² (ent's pochisq), 0..1. */
  chiSquareProbability: number;
  mean: number;
  /** NaN when fewer than 6 bytes were seen (ent prints nan too). */
  monteCarloPi: number;
  /** −100000 when undefined (all values equal), as ent reports it. */
  serialCorrelation: number;
}

/** The sums {@link entStats} needs. */
export interface EntSums {
  /** Counts per bin: 256 for bytes, [zeros, ones] for bits. */
  counts: ArrayLike<number>;
  /** Σ u_i·u_{i+1} including the circular term u_last·u_first. */
  pairs: number;
  monteTries: number;
  monteHits: number;
}

/** ent's statistics from its sums. */
export function entStats(s: EntSums): EntStats {
  const bins = s.counts.length;
  let totalc = 0, t2 = 0, t3 = 0;
  for (let i = 0; i < bins; i++) {
    totalc += s.counts[i];
    t2 += i * s.counts[i];
    t3 += i * i * s.counts[i];
  }
  const scct2 = t2 * t2;
  let scc = totalc * t3 - scct2;
  scc = scc === 0 ? -100000 : (totalc * s.pairs - scct2) / scc;
  const cexp = totalc / bins;
  let chisq = 0, datasum = 0, ent = 0;
  const prob: number[] = [];
  for (let i = 0; i < bins; i++) {
    const a = s.counts[i] - cexp;
    prob.push(s.counts[i] / totalc);
    chisq += (a * a) / cexp;
    datasum += i * s.counts[i];
  }
  for (let i = 0; i < bins; i++) if (prob[i] > 0) ent += prob[i] * (Math.log(1 / prob[i]) / Math.log(2));
  const bitsPerSample = bins === 2 ? 1 : 8;
  return {
    samples: totalc,
    entropy: ent,
    compressionPercent: Math.trunc((100 * (bitsPerSample - ent)) / bitsPerSample),
    chiSquare: chisq,
    chiSquareProbability: pochisq(chisq, bins - 1),
    mean: datasum / totalc,
    monteCarloPi: 4 * (s.monteHits / s.monteTries),
    serialCorrelation: scc,
  };
}

const Z_MAX = 6;
const BIGX = 20;
const LOG_SQRT_PI = 0.5723649429247000870717135;
const I_SQRT_PI = 0.5641895835477562869480795;
const ex = (x: number) => x < -BIGX ? 0 : Math.exp(x);

/** Probability of a normal z value (Adams 1969, as in ent's chisq.c). */
function poz(z: number): number {
  let x: number;
  if (z === 0) x = 0;
  else {
    let y = 0.5 * Math.abs(z);
    if (y >= Z_MAX * 0.5) x = 1;
    else if (y < 1) {
      const w = y * y;
      x = ((((((((0.000124818987 * w - 0.001075204047) * w + 0.005198775019) * w - 0.019198292004) * w +
                        0.059054035642) * w - 0.151968751364) * w + 0.319152932694) * w - 0.531923007300) *
          w +
        0.797884560593) * y * 2;
    } else {
      y -= 2;
      x = (((((((((((((-0.000045255659 * y + 0.000152529290) * y - 0.000019538132) * y - 0.000676904986) * y +
                                                0.001390604284) * y - 0.000794620820) * y - 0.002034254874) *
                                      y + 0.006549791214) * y -
                                0.010557625006) * y + 0.011630447319) * y - 0.009279453341) * y +
                    0.005353579108) * y -
                0.002141268741) * y + 0.000535310849) * y + 0.999936657524;
    }
  }
  return z > 0 ? (x + 1) * 0.5 : (1 - x) * 0.5;
}

/** Upper-tail probability of χ² with `df` degrees of freedom (Hill & Pike, as in ent's chisq.c). */
export function pochisq(ax: number, df: number): number {
  let x = ax;
  if (x <= 0 || df < 1) return 1;
  const a = 0.5 * x;
  const even = 2 * Math.floor(df / 2) === df;
  const y = df > 1 ? ex(-a) : 0;
  let s = even ? y : 2 * poz(-Math.sqrt(x));
  if (df > 2) {
    x = 0.5 * (df - 1);
    let z = even ? 1 : 0.5;
    if (a > BIGX) {
      let e = even ? 0 : LOG_SQRT_PI;
      const c = Math.log(a);
      while (z <= x) {
        e = Math.log(z) + e;
        s += ex(c * z - a - e);
        z += 1;
      }
      return s;
    }
    let e = even ? 1 : I_SQRT_PI / Math.sqrt(a);
    let c = 0;
    while (z <= x) {
      e = e * (a / z);
      c = c + e;
      z += 1;
    }
    return c * y + s;
  }
  return s;
}

/**
 * SP 800-90B §6.3.1 Most Common Value estimate from the top count among `samples`. Fewer than
 * two samples bound nothing (the confidence term divides by samples − 1): 0, not NaN.
 */
export function mostCommonValueEntropy(mostCommon: number, samples: number): number {
  if (samples < 2) return 0;
  const p = mostCommon / samples;
  const pu = Math.min(1, p + 2.5758293035489008 * Math.sqrt((p * (1 - p)) / (samples - 1)));
  return -Math.log2(pu);
}
