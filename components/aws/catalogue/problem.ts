/** A value a catalogue says AWS would refuse: the settings path it is at, and why. */
export interface CatalogueProblem {
  path: (string | number)[];
  message: string;
}
