(ns clj-wasi.impl.snapshot
  "Snapshots: an instance's Wasm state (linear memory, mutable globals, tables) captured
  after its initialization, and written into a new instance of the same module instead
  of running the initialization again (what Wizer does at build time for wasmtime, here
  at run time).

  What a snapshot holds is the guest's own state only. WASI state lives in the host and
  is not captured: a snapshot-started instance gets the stdio, arguments, environment,
  preopens, :files, clock and random source of its own options. So that nothing the
  guest holds is lost silently, `capture` refuses an instance whose guest has opened a
  file, directory or socket (fds beyond stdio, preopens and listeners)."
  (:require [clj-wasi.impl.errors :as errors])
  (:import (cljwasi Module ModuleInstance)
           (com.dylibso.chicory.runtime GlobalInstance Instance Memory TableInstance)
           (com.dylibso.chicory.wasm.types ExternalType MutabilityType)))

(set! *warn-on-reflection* true)

(deftype Snapshot [^Module module ^bytes memory globals tables])

(defn- defined-globals
  "Indexes (in the global index space) of the module's own mutable globals: imported
  globals belong to the host, immutable ones cannot have changed."
  [^Module module]
  (let [m (.parsed module)
        imported (.count (.importSection m) ExternalType/GLOBAL)]
    (vec (for [i (range (.globalCount (.globalSection m)))
               :when (= MutabilityType/Var (.mutabilityType (.getGlobal (.globalSection m) i)))]
           (+ imported i)))))

(defn- defined-tables [^Module module]
  (let [m (.parsed module)
        imported (.count (.importSection m) ExternalType/TABLE)]
    (vec (range imported (+ imported (.tableCount (.tableSection m)))))))

(defn- check-no-guest-fds [^ModuleInstance j]
  (when-let [ctx (.wasi j)]
    (let [opts (.options ctx)
          initial (+ 3 (count (.preopens opts)) (count (.listens opts)))
          extra (remove #(< (long %) initial) (.openFds (.fds ctx)))]
      (when (seq extra)
        (errors/fail :unsupported
                     (format "%s: cannot snapshot an instance whose guest holds open descriptors %s (files and sockets are host state, which a snapshot does not carry); close them first"
                             (.name (.module j)) (vec extra))
                     {:name (.name (.module j)) :fds (vec extra)})))))

(defn capture
  "A Snapshot of instance `j`'s memory, mutable globals and tables as they are now."
  ^Snapshot [^ModuleInstance j]
  (when (.isClosed j)
    (errors/fail :closed (str (.name (.module j)) ": the instance is closed") {:name (.name (.module j))}))
  (check-no-guest-fds j)
  (when-let [ctx (.wasi j)] (.flush ctx))
  (let [^Instance ci (.chicory j)
        module (.module j)
        ^Memory mem (.memory ci)]
    (Snapshot. module
               (when mem (.readBytes mem 0 (* 65536 (.pages mem))))
               (mapv (fn [i] (let [^GlobalInstance g (.global ci (int i))]
                               [i (.getValueLow g) (.getValueHigh g)]))
                     (defined-globals module))
               (mapv (fn [i] (let [^TableInstance t (.table ci (int i))]
                               [i (int-array (map #(.ref t (int %)) (range (.size t))))]))
                     (defined-tables module)))))

(defn restore!
  "Writes snapshot `s` into `j`, a fresh instance of the same module whose
  initialization has not run."
  [^Snapshot s ^ModuleInstance j]
  (let [^Instance ci (.chicory j)
        ^bytes bytes (.memory s)]
    (when bytes
      (let [^Memory mem (.memory ci)
            want (quot (alength bytes) 65536)
            have (.pages mem)]
        (when (and (> want have) (neg? (.grow mem (- want have))))
          (errors/fail :limit (format "%s: the snapshot's memory of %d pages is over this instance's limit"
                                      (.name (.module j)) want)
                       {:limit :max-memory-pages :requested want}))
        (.write mem 0 bytes)))
    (doseq [[i lo hi] (.globals s)]
      (let [^GlobalInstance g (.global ci (int i))]
        (.setValueLow g (long lo))
        (.setValueHigh g (long hi))))
    (doseq [[i ^ints refs] (.tables s)]
      (let [^TableInstance t (.table ci (int i))
            n (alength refs)]
        (when (> n (.size t))
          (.grow t (- n (.size t)) -1 ci))
        (dotimes [k n] (.setRef t k (aget refs k) ci))))
    j))
