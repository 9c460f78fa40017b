package cljwasi.engine.eh;

import static cljwasi.engine.eh.Instructions.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites one function body from legacy exception handling (try/catch/catch_all/rethrow/
 * delegate) to the exnref form (try_table/throw_ref), in two passes over the body: the
 * first finds every try's catch clauses, which tries are delegated to, which handlers are
 * rethrown from, and how deeply handlers nest; the second emits the new body, renumbering
 * every label for the blocks it adds.
 *
 * <pre>
 * try bt B catch $t1 H1 ... catch_all Hk end
 *   =&gt;
 * block bt                                   ;; $outer: br 0 in a handler lands here
 *   block [P] -&gt; []                         ;; $ck
 *     ...
 *       block [P] -&gt; [T1*]                  ;; $c1
 *         try_table bt (catch $t1 $c1) ... (catch_all $ck)
 *           B                                ;; br 0 in the body lands here
 *         end
 *         br $outer
 *       end
 *       H1
 *       br $outer
 *     ...
 *   end
 *   Hk
 * end
 *
 * try bt B delegate N  =&gt;  try_table bt (catch_all_ref $dt) B end
 * </pre>
 *
 * where {@code $dt} belongs to the try that the delegate resolves to (the innermost legacy
 * try whose body, not handler, encloses label N), or to the function when there is none.
 * Such a target wraps its body as {@code block [P] -> [exnref] B br $body end throw_ref},
 * so an exception delegated to it is rethrown inside its try_table; the function wraps its
 * body as {@code block (result exnref) B return end throw_ref}. {@code rethrow N} becomes
 * a rethrow of the exception the handler caught, from locals kept per handler nesting level.
 *
 * <p>Rethrow does not rely on exnref identity: Chicory 1.7.5 represents an exnref by its tag
 * index alone (a later exception with the same tag replaces what a stored exnref refers
 * to). So a {@code catch $t} handler that is rethrown from keeps its payload in locals and
 * rethrows with {@code throw $t}; a {@code catch_all} handler that is rethrown from catches
 * each of the module's tags with a clause of its own (keeping payload and tag index in
 * locals) and only exceptions of other modules' tags by {@code catch_all_ref}, rethrown
 * with {@code throw_ref}.
 */
final class FunctionTranslator {
  private static final int FUNC = 0;
  private static final int PLAIN = 1; // block, loop, if, try_table
  private static final int LEGACY_TRY = 2;
  private static final int TRY_TABLE_FRAME = 3;

  /** What the first pass learns about one legacy try. */
  private static final class TryInfo {
    final List<Integer> catchTags = new ArrayList<>(); // -1: catch_all
    boolean delegates;
    TryInfo delegateTarget; // null with delegates: to the caller
    boolean needsDt; // some delegate resolves to this try
    boolean needsRef; // some rethrow targets one of its handlers
    boolean mayThrow; // its body has a call or a throw: otherwise its handlers are dead
    int level; // handler nesting level outside this try
    Frame frame; // during emission
  }

  private static final class Frame {
    final int kind;
    final TryInfo t;
    boolean inHandler;
    int idx; // emitted frame index a branch to this label targets (body position)
    int outerIdx;
    int dtIdx;
    int[] catchIdx;
    int refIdx; // catch_all dispatch: the catch_all_ref block
    int[] tagIdx; // catch_all dispatch: one block per module tag
    int catchNo = -1; // the handler being emitted
    boolean handlersDropped;

    Frame(int kind, TryInfo t) {
      this.kind = kind;
      this.t = t;
    }
  }

  private final byte[] b;
  private final int start;
  private final int end;
  private final int paramCount;
  private final Types types;
  private final TagTypes tags;
  private final Map<Integer, TryInfo> tries = new HashMap<>(); // by the try's offset
  private boolean functionDt;

  interface TagTypes {
    List<byte[]> params(int tag, int offset);

    int count();
  }

  FunctionTranslator(byte[] b, int start, int end, int paramCount, Types types, TagTypes tags) {
    this.b = b;
    this.start = start;
    this.end = end;
    this.paramCount = paramCount;
    this.types = types;
    this.tags = tags;
  }

  /** Whether the body at [start, end) uses any legacy instruction (walks it). */
  static boolean usesLegacy(byte[] b, int start, int end) {
    Reader r = new Reader(b, start, end);
    int n = r.u32();
    for (int i = 0; i < n; i++) {
      r.u32();
      Instructions.valType(r);
    }
    while (!r.atEnd()) {
      int at = r.pos;
      int op = r.u8();
      if (Instructions.isLegacy(op)) return true;
      Instructions.skipImmediates(r, op, at);
    }
    return false;
  }

  // ---------------------------------------------------------------- pass 1

  private int skipLocals(Reader r) {
    int n = r.u32();
    long total = 0;
    for (int i = 0; i < n; i++) {
      total += r.u32();
      Instructions.valType(r);
    }
    if (total + paramCount > 50_000) throw new DecodeException(start, "too many locals");
    return (int) total;
  }

  private static Frame label(List<Frame> stack, int depth, int at) {
    if (depth < 0 || depth >= stack.size()) {
      throw new DecodeException(at, "unknown label " + depth);
    }
    return stack.get(stack.size() - 1 - depth);
  }

  /** Marks the tries whose body an exception thrown here can leave through. */
  private static void mayThrow(List<Frame> stack) {
    for (int i = stack.size() - 1; i > 0; i--) {
      Frame f = stack.get(i);
      if (f.kind == LEGACY_TRY && !f.inHandler) {
        if (f.t.mayThrow) return; // and so are all tries outside it
        f.t.mayThrow = true;
      }
    }
  }

  private void analyse() {
    Reader r = new Reader(b, start, end);
    skipLocals(r);
    List<Frame> stack = new ArrayList<>();
    stack.add(new Frame(FUNC, null));
    while (true) {
      int at = r.pos;
      int op = r.u8();
      // the analysis needs no block types: read past them once for every block opener
      if (op == BLOCK || op == LOOP || op == IF || op == TRY) Instructions.blockType(r);
      switch (op) {
        case BLOCK, LOOP, IF -> stack.add(new Frame(PLAIN, null));
        case TRY -> {
          TryInfo t = new TryInfo();
          tries.put(at, t);
          stack.add(new Frame(LEGACY_TRY, t));
        }
        case CATCH, CATCH_ALL -> {
          int tag = op == CATCH ? r.u32() : -1;
          Frame f = stack.get(stack.size() - 1);
          if (f.kind != LEGACY_TRY) throw new DecodeException(at, "catch outside a try");
          if (!f.t.mayThrow) {
            // nothing can reach the handlers: emission drops them, so they are not analysed
            Instructions.skipHandlers(r);
            continue;
          }
          List<Integer> cs = f.t.catchTags;
          if (!cs.isEmpty() && cs.get(cs.size() - 1) == -1) {
            throw new DecodeException(at, "catch after catch_all");
          }
          if (tag >= 0) tags.params(tag, at); // checks the tag exists
          if (!f.inHandler) {
            f.inHandler = true;
            int level = 0;
            for (Frame g : stack) if (g != f && g.inHandler) level++;
            f.t.level = level;
          }
          cs.add(tag);
        }
        case RETHROW -> {
          mayThrow(stack);
          Frame f = label(stack, r.u32(), at);
          if (f.kind != LEGACY_TRY || !f.inHandler) {
            throw new DecodeException(at, "rethrow target is not a catch");
          }
          f.t.needsRef = true;
        }
        case DELEGATE -> {
          int depth = r.u32();
          Frame f = stack.remove(stack.size() - 1);
          if (f.kind != LEGACY_TRY || f.inHandler) {
            throw new DecodeException(at, "delegate outside a try body");
          }
          f.t.delegates = true;
          Frame from = label(stack, depth, at);
          if (!f.t.mayThrow) break; // nothing to delegate: emitted as a block
          TryInfo target = null;
          for (int i = stack.indexOf(from); i > 0; i--) {
            Frame g = stack.get(i);
            if (g.kind == TRY_TABLE_FRAME) {
              throw new DecodeException(at, "delegate across a try_table");
            }
            if (g.kind == LEGACY_TRY && !g.inHandler) {
              target = g.t;
              break;
            }
          }
          f.t.delegateTarget = target;
          if (target == null) {
            functionDt = true;
          } else {
            target.needsDt = true;
          }
        }
        case END -> {
          stack.remove(stack.size() - 1);
          if (stack.isEmpty()) {
            if (r.pos != end) throw new DecodeException(r.pos, "code after the function's end");
            return;
          }
        }
        case BR, BR_IF, BR_ON_NULL, BR_ON_NON_NULL -> label(stack, r.u32(), at);
        case BR_TABLE -> {
          int n = r.u32();
          for (int i = 0; i <= n; i++) label(stack, r.u32(), at);
        }
        case TRY_TABLE -> {
          Instructions.blockType(r);
          int n = r.u32();
          for (int i = 0; i < n; i++) {
            int kind = r.u8();
            if (kind > 3) throw new DecodeException(r.pos - 1, "unknown catch clause kind");
            if (kind <= 1) r.u32();
            label(stack, r.u32(), at);
          }
          stack.add(new Frame(TRY_TABLE_FRAME, null));
        }
        case GC_PREFIX -> {
          int sub = r.u32();
          if (sub == BR_ON_CAST || sub == BR_ON_CAST_FAIL) {
            r.u8();
            label(stack, r.u32(), at);
            r.s33();
            r.s33();
          } else {
            r.pos = at + 1;
            Instructions.skipImmediates(r, op, at);
          }
        }
        case THROW, THROW_REF, 0x10, 0x11, 0x14 -> {
          mayThrow(stack);
          Instructions.skipImmediates(r, op, at);
        }
        default -> Instructions.skipImmediates(r, op, at);
      }
      if (Instructions.endsReachability(op)) Instructions.skipDead(r);
    }
  }

  // ---------------------------------------------------------------- pass 2

  private ByteOut out;
  private int copyFrom;
  private int depth; // open emitted frames, the function's own included
  private int fdtIdx;
  private int firstExtraLocal;
  private final List<byte[]> extraLocals = new ArrayList<>();
  private final Map<String, int[]> levelLocals = new HashMap<>();

  /** The locals kept at handler nesting {@code level} under {@code what}, made on first use. */
  private int[] levelLocals(int level, String what, List<byte[]> localTypes) {
    return levelLocals.computeIfAbsent(level + ":" + what, k -> {
      int[] idx = new int[localTypes.size()];
      for (int i = 0; i < idx.length; i++) {
        idx[i] = firstExtraLocal + extraLocals.size();
        extraLocals.add(localTypes.get(i));
      }
      return idx;
    });
  }

  private int[] payloadLocals(TryInfo t, int tag) {
    return levelLocals(t.level, "tag" + tag, tags.params(tag, 0));
  }

  private int whichLocal(TryInfo t) {
    return levelLocals(t.level, "which", List.of(new byte[] {0x7F}))[0];
  }

  private int exnLocal(TryInfo t) {
    return levelLocals(t.level, "exn", List.of(Types.EXNREF))[0];
  }

  private static boolean dispatches(TryInfo t) {
    List<Integer> cs = t.catchTags;
    return t.needsRef && !cs.isEmpty() && cs.get(cs.size() - 1) == -1;
  }
  private final List<Frame> stack = new ArrayList<>();

  private void flush(int upTo) {
    out.bytes(b, copyFrom, upTo);
  }

  private int rel(int idx) {
    return depth - 1 - idx;
  }

  private static int targetIdx(Frame f) {
    if (f.kind == FUNC) return 0;
    if (f.kind == LEGACY_TRY && f.inHandler) return f.outerIdx;
    return f.idx;
  }

  private int mapLabel(int label, int at) {
    return rel(targetIdx(label(stack, label, at)));
  }

  private void open() {
    depth++;
  }

  private void close() {
    out.u8(END);
    depth--;
  }

  /** Ends a try's body: the delegate wrapper if any, then its try_table (or block). */
  private void closeBody(Frame f) {
    if (f.t.needsDt) {
      out.u8(BR).u32(rel(f.idx));
      close();
      out.u8(THROW_REF);
    }
    close();
  }

  byte[] translate() {
    analyse();
    out = new ByteOut((end - start) * 5 / 4 + 32);
    Reader r = new Reader(b, start, end);
    int declsAt = r.pos;
    int decls = r.u32();
    int declsFrom = r.pos;
    r.pos = declsAt;
    int localCount = skipLocals(r);
    int declsTo = r.pos;
    firstExtraLocal = paramCount + localCount;
    Frame fn = new Frame(FUNC, null);
    stack.add(fn);
    depth = 1;
    if (functionDt) {
      out.u8(BLOCK).u8(EXNREF);
      fdtIdx = depth;
      open();
    }
    copyFrom = r.pos;
    while (true) {
      int at = r.pos;
      int op = r.u8();
      switch (op) {
        case BLOCK, LOOP, IF -> {
          Instructions.blockType(r);
          Frame f = new Frame(PLAIN, null);
          f.idx = depth;
          open();
          stack.add(f);
        }
        case TRY -> {
          flush(at);
          Types.Func bt = types.blockType(r);
          int btFrom = at + 1;
          int btTo = r.pos;
          TryInfo t = tries.get(at);
          Frame f = new Frame(LEGACY_TRY, t);
          t.frame = f;
          // a body that cannot throw makes the handlers dead: they are dropped, as Chicory's
          // compiler can fail on try_table in code only a dead handler reaches
          int k = t.mayThrow ? t.catchTags.size() : 0;
          if (k > 0) {
            out.u8(BLOCK).bytes(b, btFrom, btTo);
            f.outerIdx = depth;
            open();
            f.catchIdx = new int[k];
            boolean dispatch = dispatches(t);
            int plain = k;
            if (dispatch) {
              // the catch_all handler's entry: one block per module tag and one for others
              plain = k - 1;
              out.u8(BLOCK);
              types.writeBlockType(out, bt.params, List.of());
              f.catchIdx[k - 1] = depth;
              open();
              out.u8(BLOCK);
              types.writeBlockType(out, bt.params, List.of(Types.EXNREF));
              f.refIdx = depth;
              open();
              f.tagIdx = new int[tags.count()];
              for (int j = tags.count() - 1; j >= 0; j--) {
                out.u8(BLOCK);
                types.writeBlockType(out, bt.params, tags.params(j, at));
                f.tagIdx[j] = depth;
                open();
              }
            }
            for (int i = plain - 1; i >= 0; i--) {
              int tag = t.catchTags.get(i);
              out.u8(BLOCK);
              types.writeBlockType(out, bt.params, tag >= 0 ? tags.params(tag, at) : List.of());
              f.catchIdx[i] = depth;
              open();
            }
            out.u8(TRY_TABLE).bytes(b, btFrom, btTo);
            out.u32(dispatch ? plain + tags.count() + 1 : k);
            for (int i = 0; i < plain; i++) {
              int tag = t.catchTags.get(i);
              if (tag >= 0) {
                out.u8(0).u32(tag);
              } else {
                out.u8(2);
              }
              out.u32(rel(f.catchIdx[i]));
            }
            if (dispatch) {
              for (int j = 0; j < tags.count(); j++) out.u8(0).u32(j).u32(rel(f.tagIdx[j]));
              out.u8(3).u32(rel(f.refIdx));
            }
          } else if (t.delegates && t.mayThrow) {
            int target = t.delegateTarget == null ? fdtIdx : t.delegateTarget.frame.dtIdx;
            out.u8(TRY_TABLE).bytes(b, btFrom, btTo).u32(1).u8(3).u32(rel(target));
          } else if (t.needsDt) {
            out.u8(TRY_TABLE).bytes(b, btFrom, btTo).u32(0);
          } else {
            out.u8(BLOCK).bytes(b, btFrom, btTo);
          }
          f.idx = depth;
          open();
          if (t.needsDt) {
            out.u8(BLOCK);
            types.writeBlockType(out, bt.params, List.of(Types.EXNREF));
            f.dtIdx = depth;
            open();
          }
          stack.add(f);
          copyFrom = r.pos;
        }
        case CATCH, CATCH_ALL -> {
          flush(at);
          if (op == CATCH) r.u32();
          Frame f = stack.get(stack.size() - 1);
          if (!f.t.mayThrow) {
            closeBody(f);
            f.handlersDropped = true;
            Instructions.skipHandlers(r);
            copyFrom = r.pos;
            continue;
          }
          if (!f.inHandler) {
            closeBody(f);
            f.inHandler = true;
          }
          out.u8(BR).u32(rel(f.outerIdx));
          close();
          TryInfo t = f.t;
          int c = ++f.catchNo;
          int tag = t.catchTags.get(c);
          if (t.needsRef && tag >= 0) {
            // keep the payload for a rethrow, and hand it to the handler as before
            int[] ls = payloadLocals(t, tag);
            for (int i = ls.length - 1; i >= 0; i--) out.u8(LOCAL_SET).u32(ls[i]);
            for (int l : ls) out.u8(LOCAL_GET).u32(l);
          } else if (t.needsRef) {
            // the dispatch blocks, innermost first: tags 0.., then catch_all_ref
            for (int j = 0; j < tags.count(); j++) {
              int[] ls = payloadLocals(t, j);
              for (int i = ls.length - 1; i >= 0; i--) out.u8(LOCAL_SET).u32(ls[i]);
              out.u8(0x41).s33(j).u8(LOCAL_SET).u32(whichLocal(t));
              out.u8(BR).u32(rel(f.catchIdx[c]));
              close();
            }
            out.u8(LOCAL_SET).u32(exnLocal(t));
            out.u8(0x41).s33(-1).u8(LOCAL_SET).u32(whichLocal(t));
            close();
          }
          copyFrom = r.pos;
        }
        case RETHROW -> {
          flush(at);
          Frame f = label(stack, r.u32(), at);
          TryInfo t = f.t;
          int tag = t.catchTags.get(f.catchNo);
          if (tag >= 0) {
            for (int l : payloadLocals(t, tag)) out.u8(LOCAL_GET).u32(l);
            out.u8(THROW).u32(tag);
          } else {
            int n = tags.count();
            for (int j = -1; j < n; j++) {
              out.u8(BLOCK).u8(0x40);
              open();
            }
            out.u8(LOCAL_GET).u32(whichLocal(t)).u8(BR_TABLE).u32(n);
            for (int j = 0; j <= n; j++) out.u32(j);
            for (int j = 0; j < n; j++) {
              close();
              for (int l : payloadLocals(t, j)) out.u8(LOCAL_GET).u32(l);
              out.u8(THROW).u32(j);
            }
            close();
            out.u8(LOCAL_GET).u32(exnLocal(t)).u8(THROW_REF);
          }
          copyFrom = r.pos;
        }
        case DELEGATE -> {
          flush(at);
          r.u32();
          Frame f = stack.remove(stack.size() - 1);
          closeBody(f);
          copyFrom = r.pos;
        }
        case END -> {
          Frame f = stack.remove(stack.size() - 1);
          if (f.kind == LEGACY_TRY) {
            flush(at);
            if (f.handlersDropped) {
              // closed at its first catch
            } else if (f.inHandler) {
              close(); // $outer: the last handler falls through to it
            } else {
              closeBody(f);
            }
            copyFrom = r.pos;
          } else if (f.kind == FUNC) {
            flush(at);
            if (functionDt) {
              out.u8(RETURN);
              close();
              out.u8(THROW_REF);
            }
            out.u8(END);
            if (firstExtraLocal + (long) extraLocals.size() > 50_000) {
              throw new DecodeException(start, "too many locals after translation");
            }
            ByteOut whole = new ByteOut(out.size() + (declsTo - declsFrom) + 8 + 3 * extraLocals.size());
            whole.u32(decls + extraLocals.size()).bytes(b, declsFrom, declsTo);
            for (byte[] type : extraLocals) whole.u32(1).bytes(type);
            whole.bytes(out.toByteArray());
            return whole.toByteArray();
          } else {
            depth--;
          }
        }
        case BR, BR_IF, BR_ON_NULL, BR_ON_NON_NULL -> {
          flush(at);
          out.u8(op).u32(mapLabel(r.u32(), at));
          copyFrom = r.pos;
        }
        case BR_TABLE -> {
          flush(at);
          int n = r.u32();
          out.u8(op).u32(n);
          for (int i = 0; i <= n; i++) out.u32(mapLabel(r.u32(), at));
          copyFrom = r.pos;
        }
        case TRY_TABLE -> {
          flush(at);
          Instructions.blockType(r);
          out.bytes(b, at, r.pos);
          int n = r.u32();
          out.u32(n);
          for (int i = 0; i < n; i++) {
            int kind = r.u8();
            out.u8(kind);
            if (kind <= 1) out.u32(r.u32());
            out.u32(mapLabel(r.u32(), at));
          }
          Frame f = new Frame(TRY_TABLE_FRAME, null);
          f.idx = depth;
          open();
          stack.add(f);
          copyFrom = r.pos;
        }
        case GC_PREFIX -> {
          int sub = r.u32();
          if (sub == BR_ON_CAST || sub == BR_ON_CAST_FAIL) {
            flush(at);
            out.u8(op).u32(sub).u8(r.u8()).u32(mapLabel(r.u32(), at));
            int hts = r.pos;
            r.s33();
            r.s33();
            out.bytes(b, hts, r.pos);
            copyFrom = r.pos;
          } else {
            r.pos = at + 1;
            Instructions.skipImmediates(r, op, at);
          }
        }
        default -> Instructions.skipImmediates(r, op, at);
      }
      if (Instructions.endsReachability(op)) {
        // dropped: Chicory's compiler can fail on try_table in unreachable code
        int deadFrom = r.pos;
        Instructions.skipDead(r);
        if (r.pos != deadFrom) {
          flush(deadFrom);
          copyFrom = r.pos;
        }
      }
    }
  }
}
