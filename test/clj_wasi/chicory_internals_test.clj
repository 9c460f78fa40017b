(ns clj-wasi.chicory-internals-test
  "The door into Chicory's non-public API (cljwasi.engine.ChicoryInternals): every piece it
  needs is there on the Chicory in use, and every message text it reads still says what it
  expects. A failure here names exactly what changed in Chicory; the fix is in that one
  file."
  (:require [clj-wasi.test-util :refer [trap-kinds wasm]]
            [clj-wasi.wasm :as wasm]
            [clojure.test :refer [deftest is testing]])
  (:import (cljwasi Module)
           (cljwasi.engine ChicoryInternals HeapGuardedMemory)
           (com.dylibso.chicory.compiler InterpreterFallback MachineFactoryCompiler)
           (com.dylibso.chicory.runtime ByteArrayMemory Memory)
           (com.dylibso.chicory.wasm.types MemoryLimits)
           (java.io File)))

(deftest every-internal-piece-is-reachable
  (is (some #{(ChicoryInternals/chicoryVersion)} ChicoryInternals/SUPPORTED_VERSIONS)
      (str "Chicory " (ChicoryInternals/chicoryVersion) " is not among the supported "
           ChicoryInternals/SUPPORTED_VERSIONS))
  (doseq [[what why] (ChicoryInternals/missing)]
    (is false (str "Chicory changed: cannot reach " what " (" why ")")))
  (is (ChicoryInternals/canParseLazily))
  (is (ChicoryInternals/canCompileLayers))
  (testing "private fields read through the door"
    (let [mem (ByteArrayMemory. (MemoryLimits. 2))
          _ (.writeByte mem (+ Memory/PAGE_SIZE 3) (byte 42))
          ^"[[B" pages (ChicoryInternals/memoryPages mem)]
      (is (= 42 (aget ^bytes (aget pages 1) 3))
          "ByteArrayMemory.pages: guest memory as one array per 64 KiB page"))))


(deftest trap-messages-name-their-kind
  (testing "every kind read from message text has a trap here (unaligned-atomic: in atomics-test)"
    (is (= (disj (set (map #(keyword (val %)) ChicoryInternals/TRAP_MESSAGES)) :unaligned-atomic)
           (set (vals trap-kinds)))))
  (doseq [engine [:interpreter :compiler]
          [export kind] trap-kinds]
    (with-open [i (wasm/load (wasm "trap_kinds") {:engine engine :cache-dir false})]
      (let [d (try ((wasm/fn i export)) nil
                   (catch clojure.lang.ExceptionInfo e
                     (assoc (ex-data e) :message (ex-message e))))]
        (is (= kind (:kind d))
            (str engine " " export ": Chicory's message changed? it said: " (:message d)))))))

(deftest compile-failures-name-their-function
  ;; tier_hot's big() is too large for one JVM method; the tiered compiler refuses the
  ;; function the message names and compiles the rest of its batch
  (let [m (Module/parse (.toPath (File. ^String (wasm "tier_hot"))))
        e (try (-> (MachineFactoryCompiler/builder (.parsed m))
                   (.withInterpreterFallback InterpreterFallback/FAIL)
                   (.compile))
               nil
               (catch Throwable e e))]
    (is (some? e) "the compiler refuses big()")
    (let [f (ChicoryInternals/blamedFunction e)]
      (is (some? f) (str "Chicory's compile failure no longer names a function: " (ex-message e)))
      (when f
        (is (<= (.importedFunctions (.plan m)) f (dec (.functionCount (.plan m)))))))))

(defn- chicory-monitor
  "What ByteArrayMemory's private monitor(addr) returns: the lock its atomic instructions
  take when the JDK's byte[] views have no atomic access modes (JDK 22+), or the
  exception it throws."
  [^ByteArrayMemory mem addr]
  (let [m (doto (.getDeclaredMethod ByteArrayMemory "monitor" (into-array Class [Integer/TYPE]))
            (.setAccessible true))]
    (try (.invoke m mem (object-array [(int addr)]))
         (catch java.lang.reflect.InvocationTargetException e (.getCause e)))))

(deftest atomics-find-a-monitor-in-non-shared-memories
  ;; JDK 17 never asks for the monitor, so only this shows there that JDK 22+ would trap
  (testing "Chicory alone: a non-shared memory has no monitor (if this fails, Chicory fixed
            it and lendAtomicsMonitor can go)"
    (is (instance? NullPointerException (chicory-monitor (ByteArrayMemory. (MemoryLimits. 1 1)) 0))))
  (testing "every memory clj-wasi makes has one, the same for every address"
    (with-open [i (wasm/load (wasm/module (wasm "atomics")))]
      (let [mem (.inner ^HeapGuardedMemory (.memory (.chicory (.java i))))
            locks (map #(chicory-monitor mem %) [0 4 8 65536 131064])]
        (is (instance? ByteArrayMemory mem))
        (is (not-any? #(instance? Throwable %) locks))
        (is (every? #(identical? (first locks) %) locks)))))
  (testing "a shared memory keeps its own monitors"
    (let [mem (ByteArrayMemory. (MemoryLimits. 1 1 true))]
      (is (false? (ChicoryInternals/lendAtomicsMonitor mem)))
      (is (not (identical? (chicory-monitor mem 0) (chicory-monitor mem 4)))))))
