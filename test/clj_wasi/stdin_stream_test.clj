(ns clj-wasi.stdin-stream-test
  "Streaming stdin: input that arrives bit by bit reaches the guest as it arrives, with
  blocking reads (cat), with NONBLOCK + poll (EAGAIN when nothing is there), and with
  poll timeouts; the stdin pump thread ends with the instance."
  (:require [clj-wasi.wasm :as wasm]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi.wasi.fs StreamDescriptor)
           (java.io ByteArrayOutputStream OutputStream PipedInputStream PipedOutputStream)
           (java.util.concurrent LinkedBlockingQueue TimeUnit)))

(defn- line-sink
  "An OutputStream that puts each complete line the guest writes on `q`."
  [^LinkedBlockingQueue q]
  (let [buf (ByteArrayOutputStream.)]
    (proxy [OutputStream] []
      (write
        ([b]
         (if (integer? b)
           (if (= 10 b)
             (do (.put q (.toString buf "UTF-8")) (.reset buf))
             (.write buf (int b)))
           (.write ^OutputStream this ^bytes b 0 (alength ^bytes b))))
        ([^bytes b off len]
         (dotimes [i len] (.write ^OutputStream this (int (aget b (+ off i))))))))))

(defn- next-line [^LinkedBlockingQueue q]
  (.poll q 5 TimeUnit/SECONDS))

(defn- pipe []
  (let [in (PipedInputStream. 65536)]
    [in (PipedOutputStream. in)]))

(defn- send-line [^PipedOutputStream out ^String s]
  (.write out (.getBytes (str s "\n") "UTF-8"))
  (.flush out))

(deftest cat-echoes-each-line-before-the-next-is-written
  (let [[in out] (pipe)
        q (LinkedBlockingQueue.)]
    (with-open [inst (wasm/load-wasi "test/wasm/cat.wasm" {:stdin in :stdout (line-sink q)})]
      (let [f (future ((wasm/fn inst "_start")))]
        (doseq [i (range 5)]
          (let [line (str "line " i " of a slow writer")]
            (send-line out line)
            (is (= line (next-line q)) "the line came back before the next was written")
            (is (not (realized? f)) "the guest is still reading")
            (Thread/sleep 20)))
        (.close ^PipedOutputStream out)
        (is (= 0 (deref f 5000 :timeout)))))))

(deftest nonblocking-read-gives-eagain-then-poll-waits
  (let [[in out] (pipe)
        q (LinkedBlockingQueue.)]
    (with-open [inst (wasm/load-wasi "test/wasm/stream_stdin.wasm" {:stdin in :stdout (line-sink q)})]
      (let [f (future ((wasm/fn inst "_start")))]
        (is (= "nonblock=1 first-read=-1 errno=6" (next-line q)) "EAGAIN with nothing written yet")
        (doseq [w ["one" "two" "three"]]
          (Thread/sleep 30)
          (send-line out w)
          (is (= (str "got " (inc (count w)) ": " w) (next-line q))))
        (.close ^PipedOutputStream out)
        (is (= "eof pollhup=1 eagain=0" (next-line q))
            "poll reported the end as a hangup and never woke without data")
        (is (= 0 (deref f 5000 :timeout)))))))

(deftest nonblocking-read-of-ready-input
  (testing "a string stdin is there at once: no EAGAIN"
    (let [{:keys [exit out]} (wasm/run "test/wasm/stream_stdin.wasm" {:stdin "abc\n"})]
      (is (= 0 exit))
      (is (= "nonblock=1 first-read=4 errno=0\ngot 4: abc\neof pollhup=1 eagain=0\n" out))))
  (testing "empty stdin: end of input, seen by the first read (the pump got there first)
            or after EAGAIN through poll as a hangup"
    (let [{:keys [out]} (wasm/run "test/wasm/stream_stdin.wasm" {:stdin ""})]
      (is (or (= out "nonblock=1 first-read=0 errno=0\neof at once\n")
              (= out "nonblock=1 first-read=-1 errno=6\neof pollhup=1 eagain=0\n"))
          out))))

(deftest poll-on-stdin-times-out-until-input-arrives
  (let [[in out] (pipe)
        q (LinkedBlockingQueue.)]
    (with-open [inst (wasm/load-wasi "test/wasm/poll_clock.wasm"
                                     {:args ["stdin" "40"] :stdin in :stdout (line-sink q)})]
      (let [f (future ((wasm/fn inst "_start")))]
        (is (= "timeout" (next-line q)))
        (is (= "timeout" (next-line q)))
        (send-line out "late")
        (let [[timeouts line] (loop [n 0]
                                (let [l (next-line q)]
                                  (if (and (= "timeout" l) (< n 100)) (recur (inc n)) [n l])))]
          (is (< timeouts 100))
          (is (= "data nbytes=5: late" line) "the line arrives: no timeout fires with it"))
        (.close ^PipedOutputStream out)
        (is (= 0 (deref f 5000 :timeout)))
        (is (re-find #"eof hangup=1 nbytes=0" (str/join "\n" (seq q))))))))

(deftest pump-thread-ends-with-the-instance
  (let [[in _out] (pipe)
        q (LinkedBlockingQueue.)
        inst (wasm/load-wasi "test/wasm/stream_stdin.wasm" {:stdin in :stdout (line-sink q)})
        ^StreamDescriptor stdin (.get (.fds (.wasi ^cljwasi.ModuleInstance (.java inst))) 0)
        f (future (try ((wasm/fn inst "_start")) (catch Exception e e)))]
    (is (= "nonblock=1 first-read=-1 errno=6" (next-line q)))
    (let [pump (.pump stdin)]
      (is (some? pump) "a non-blocking read started the pump")
      (is (.isAlive pump))
      (wasm/close inst)
      (is (not= :timeout (deref f 5000 :timeout)) "the guest's wait ended when the instance closed")
      (Thread/sleep 100)
      (is (not (.isAlive pump)) "the pump thread ended"))))

(deftest blocking-reads-need-no-pump
  (let [{:keys [exit out]} (wasm/run "test/wasm/cat.wasm" {:stdin "a\nb\n"})]
    (is (= 0 exit))
    (is (= "a\nb\n" out)))
  (let [[in out] (pipe)]
    (with-open [inst (wasm/load-wasi "test/wasm/cat.wasm" {:stdin in :stdout :capture})]
      (let [^StreamDescriptor stdin (.get (.fds (.wasi ^cljwasi.ModuleInstance (.java inst))) 0)
            f (future ((wasm/fn inst "_start")))]
        (send-line out "x")
        (.close ^PipedOutputStream out)
        (is (= 0 (deref f 5000 :timeout)))
        (is (nil? (.pump stdin)))))))

(defn- received
  "The data of each \"got N: <N chars>\" record stream_stdin printed, in order."
  [^String s]
  (loop [from 0 acc []]
    (let [m (re-matcher #"got (\d+): " s)]
      (if (.find m from)
        (let [start (.end m) end (+ start (parse-long (.group m 1)))]
          (recur end (conj acc (subs s start end))))
        acc))))

(defspec chunked-input-streams-through-unchanged 10
  ;; however the writer chunks its input, the nonblocking reader sees all of it, in order
  (prop/for-all [chunks (gen/vector (gen/not-empty gen/string-alphanumeric) 1 6)]
    (let [[in out] (pipe)
          sink (ByteArrayOutputStream.)]
      (with-open [inst (wasm/load-wasi "test/wasm/stream_stdin.wasm" {:stdin in :stdout sink})]
        (let [f (future ((wasm/fn inst "_start")))]
          (doseq [c chunks]
            (.write ^PipedOutputStream out (.getBytes ^String c "UTF-8"))
            (.flush ^PipedOutputStream out)
            (Thread/sleep 2))
          (.close ^PipedOutputStream out)
          (and (= 0 (deref f 5000 :timeout))
               (= (apply str chunks) (apply str (received (.toString sink "UTF-8"))))))))))
