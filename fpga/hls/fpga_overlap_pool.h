#ifndef FPGA_OVERLAP_POOL_H_
#define FPGA_OVERLAP_POOL_H_

// Streaming max pooling whose windows overlap (pool > stride, e.g. SqueezeNet's 3x3/2).
// Written for the `fpga` tool; registered into hls4ml through its extension API.
//
// One pixel (all channels) arrives per stream read in raster order. The last `pool_height`
// input rows are kept in a circular row buffer; when the pixel that completes a window
// arrives (bottom-right corner of the window), the window's maximum is written out.
// Valid pooling only: the output is floor((in - pool) / stride) + 1 in each dimension.

#include "nnet_common.h"
#include "hls_stream.h"

namespace fpga {

template <class data_T, class res_T, typename CONFIG_T>
void overlap_maxpool2d_cl(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    static_assert(data_T::size == CONFIG_T::n_filt, "one pixel per stream word expected");
    static_assert(res_T::size == CONFIG_T::n_filt, "one pixel per stream word expected");
    typedef typename data_T::value_type value_t;
    constexpr unsigned PH = CONFIG_T::pool_height, PW = CONFIG_T::pool_width;
    constexpr unsigned SH = CONFIG_T::stride_height, SW = CONFIG_T::stride_width;

    value_t rows[PH][CONFIG_T::in_width][CONFIG_T::n_filt];
    #pragma HLS ARRAY_PARTITION variable=rows complete dim=1
    #pragma HLS ARRAY_PARTITION variable=rows complete dim=3

RowLoop:
    for (unsigned y = 0; y < CONFIG_T::in_height; y++) {
    ColLoop:
        for (unsigned x = 0; x < CONFIG_T::in_width; x++) {
            #pragma HLS LOOP_FLATTEN
            #pragma HLS PIPELINE
            const data_T px = data.read();
            const unsigned slot = y % PH;
            for (unsigned c = 0; c < CONFIG_T::n_filt; c++) {
                #pragma HLS UNROLL
                rows[slot][x][c] = px[c];
            }
            const bool row_done = y + 1 >= PH && (y + 1 - PH) % SH == 0;
            const bool col_done = x + 1 >= PW && (x + 1 - PW) % SW == 0;
            if (row_done && col_done) {
                res_T out;
                PRAGMA_DATA_PACK(out)
                for (unsigned c = 0; c < CONFIG_T::n_filt; c++) {
                    #pragma HLS UNROLL
                    value_t best = rows[(y + 1 - PH) % PH][x + 1 - PW][c];
                    for (unsigned ky = 0; ky < PH; ky++) {
                        for (unsigned kx = 0; kx < PW; kx++) {
                            const value_t v = rows[(y + 1 - PH + ky) % PH][x + 1 - PW + kx][c];
                            best = v > best ? v : best;
                        }
                    }
                    out[c] = best;
                }
                res.write(out);
            }
        }
    }
}

} // namespace fpga

#endif
