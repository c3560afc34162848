/** The names of the states every compiled journey has besides its steps' own. */
export const STATE = {
  enter: 'Waymark.Enter',
  admitted: 'Waymark.Admitted',
  notAdmitted: 'Waymark.NotAdmitted',
  failed: 'Waymark.Failed',
  /** Express only: see endsOnStatusChange. */
  completed: 'Waymark.Completed',
  failedEnd: 'Waymark.FailedEnd',
} as const;
