/** The demo's data: each principal's notes, in memory, seeded on first sight. */
export interface Note {
  id: string;
  text: string;
}

export class NoteStore {
  private readonly notes = new Map<string, Note[]>();

  list(owner: string): Note[] {
    let mine = this.notes.get(owner);
    if (!mine) {
      mine = [
        { id: 'n1', text: 'Ship the quarterly report on Friday.' },
        { id: 'n2', text: 'Rotate the staging client secret.' },
        { id: 'n3', text: 'Ask Dana about the MCP rollout.' },
      ];
      this.notes.set(owner, mine);
    }
    return mine;
  }

  delete(owner: string, id: string): boolean {
    const mine = this.list(owner);
    const i = mine.findIndex((n) => n.id === id);
    if (i < 0) return false;
    mine.splice(i, 1);
    return true;
  }
}
