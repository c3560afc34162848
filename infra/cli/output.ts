/** Where a command writes: the terminal, or a test's capture. Its own module, so commands need not import main. */
export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}
