(ns clj-wasi.chicory-internals-test
  "The door into Chicory's non-public API (cljwasi.engine.ChicoryInternals): every piece it
  needs is there on the Chicory in use, and every message text it reads still says what it
  expects. A failure here names exactly what changed in Chicory; the fix is in that one
  file."
  (:require [clj-wasi.test-util :refer [trap-kinds wasm]]
            [clj-wasi.wasm :as wasm]
            [clojure.test :refer [deftest is testing]])
  (:import (cljwasi.engine ChicoryInternals)))

(deftest every-internal-piece-is-reachable
  (is (some #{(ChicoryInternals/chicoryVersion)} ChicoryInternals/SUPPORTED_VERSIONS)
      (str "Chicory " (ChicoryInternals/chicoryVersion) " is not among the supported "
           ChicoryInternals/SUPPORTED_VERSIONS))
  (doseq [[what why] (ChicoryInternals/missing)]
    (is false (str "Chicory changed: cannot reach " what " (" why ")")))
  (is (ChicoryInternals/canParseLazily)))


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
